"""`doctor`: the whole setup checked before traffic finds its faults (docs/architecture.md §8).

Each concern has its module (setup, providers, models, groups, state, terminal, clock_skew), each
check returns `Check`s (status, title, detail, fix); `runner.diagnose` runs them all at once. The
CLI (`tui/cli/doctor.py`) and the TUI's doctor screen only show the `Report`.
"""

from tui.engine.doctor.context import Terminal
from tui.engine.doctor.result import Check, Report
from tui.engine.doctor.runner import diagnose
from tui.engine.doctor.setup import Opened, open_setup

__all__ = ["Check", "Opened", "Report", "Terminal", "diagnose", "open_setup"]
