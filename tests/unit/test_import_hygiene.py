"""The engine never imports Textual: checked in a fresh interpreter, module by module."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import tui.engine


def engine_modules() -> list[str]:
    return sorted(f"tui.engine.{m.name}" for m in pkgutil.iter_modules(tui.engine.__path__))


def test_there_are_engine_modules_to_check() -> None:
    mods = engine_modules()
    assert "tui.engine.chain" in mods and "tui.engine.api" in mods


def test_no_engine_module_pulls_in_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {engine_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"tui.engine imported: {out.stdout.strip()}"
