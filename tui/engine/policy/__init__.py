"""The policy layer: what to do next, on top of state and provider.

`chain` tries a group's models in order and yields events; `health` probes models (sweeps,
half-open trials). Both act on the failure table in docs/architecture.md §4.
"""
