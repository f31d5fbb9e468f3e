"""Shared pytest fixtures."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings

# The default run (and CI) fuzzes with a fixed derandomised sequence so a green commit stays green;
# `HYPOTHESIS_PROFILE=explore python -m pytest` draws fresh random inputs to look for new bugs.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

# ---------------------------------------------------------------------------------------------
# The fault server (tests/faultserver.py): a real HTTP/1.1 server on 127.0.0.1.
# Test modules import its behaviours with `from faultserver import Stream, Json, ...`.
# ---------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------------
# What the test process inherits must not decide a result: the environment, signal dispositions,
# the umask and stdin are set here, once, before any test module is imported, for this process
# and (by inheritance) every child process a test starts.
# ---------------------------------------------------------------------------------------------

_CLEAN_HOME = Path(tempfile.mkdtemp(prefix="modelfallback-tests-home-"))
_CLEAN_ENV = {
    "HOME": str(_CLEAN_HOME),
    "XDG_CONFIG_HOME": str(_CLEAN_HOME / ".config"),
    "XDG_STATE_HOME": str(_CLEAN_HOME / ".local" / "state"),
    "XDG_CACHE_HOME": str(_CLEAN_HOME / ".cache"),
    "XDG_DATA_HOME": str(_CLEAN_HOME / ".local" / "share"),
    "TERM": "xterm-256color",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONIOENCODING": "utf-8",
}
# Dropped: the app's own settings, and what shapes a terminal or the text encoding.
_DROPPED_PREFIXES = ("MODELFALLBACK_", "LC_", "XDG_")
_DROPPED = {"COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TEXTUAL", "LANGUAGE", "PYTHONWARNINGS"}


def clean_environment(environ: dict | os._Environ = os.environ) -> None:
    """Make `environ` the tests' own: no `MODELFALLBACK_*`, a private HOME and XDG folders, a
    UTF-8 C locale, a plain terminal type and no terminal size."""
    for name in [n for n in environ if n.startswith(_DROPPED_PREFIXES) or n in _DROPPED]:
        del environ[name]
    environ.update(_CLEAN_ENV)


def default_signals() -> None:
    """Signals a test sends to a child get their default disposition. A shell runs a background
    job with SIGINT (and SIGQUIT) ignored; an ignored signal stays ignored across exec, so a child
    would never see the Ctrl+C a test sends it. A Python handler is reset to the default on exec."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for name in ("SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"):
        if signal.getsignal(getattr(signal, name)) == signal.SIG_IGN:
            signal.signal(getattr(signal, name), signal.SIG_DFL)


clean_environment()
default_signals()
os.umask(0o022)


def pytest_configure(config: pytest.Config) -> None:
    """Children read stdin from /dev/null, not the terminal or pipe pytest was started with (kept
    for a debugger: `--pdb` / `--trace` read it)."""
    if config.getoption("usepdb", False) or config.getoption("trace", False):
        return
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CLEAN_HOME, ignore_errors=True)


_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from faultserver import FaultServer  # noqa: E402


@pytest.fixture
async def fault_server() -> AsyncIterator[FaultServer]:
    """A started fault server, stopped (every connection closed) after the test."""
    server = FaultServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()

# --- end of fault server fixtures ------------------------------------------------------------
