"""The engine never imports Textual, and the command line's subcommands do not pay for it either.

Checked in a fresh interpreter, module by module, every sub-package of the engine included.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import tui.engine


def engine_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(tui.engine.__path__, "tui.engine."))


def _textual_after_importing(modules: list[str]) -> str:
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_there_are_engine_modules_to_check() -> None:
    mods = engine_modules()
    for expected in ("tui.engine.api", "tui.engine.policy.chain", "tui.engine.state.file_store",
                     "tui.engine.provider.client", "tui.engine.config.loader", "tui.engine.sim.transport"):
        assert expected in mods


def test_no_engine_module_pulls_in_textual() -> None:
    assert _textual_after_importing(engine_modules()) == "", "tui.engine imported Textual"


def modules_of(package: str, *, leave_out: tuple[str, ...] = ()) -> list[str]:
    """Every module of a package, found on disk: a new subcommand is checked without an edit here."""
    root = importlib.import_module(package)
    return [package, *sorted(m.name for m in pkgutil.walk_packages(root.__path__, package + ".")
                             if m.name not in leave_out)]


def test_the_subcommands_and_the_shared_wording_do_not_import_textual() -> None:
    modules = modules_of("tui.cli", leave_out=("tui.cli.interactive",)) + modules_of("tui.wording")
    assert {"tui.cli.chat", "tui.cli.status", "tui.wording.trail"} <= set(modules)
    assert _textual_after_importing(modules) == ""
