"""`python -m tui` is the same program as the `modelfallback` console script."""

from tui.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
