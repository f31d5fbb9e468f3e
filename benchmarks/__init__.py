"""On-demand benchmarks (not part of the default test run): `python -m benchmarks.run [--quick] [--only NAME]`."""
