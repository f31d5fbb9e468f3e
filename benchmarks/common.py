"""Shared pieces of the benchmarks: results, the loopback server in a subprocess, configs, /proc.

Every benchmark module exposes `NAME`, `TITLE`, `TARGET` and `run(quick: bool) -> Result`.
Stdlib + the project's own dependencies only (no psutil: RSS and CPU come from /proc).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"
BENCH_KEY_ENV = "BENCH_KEY"
BENCH_KEY = "bench-key-not-a-secret-0123456789"


@dataclass
class Result:
    """One row of the results table."""

    name: str
    title: str
    measured: float | None  # the headline number (unit below)
    unit: str
    baseline: float | None  # same unit, measured in the same run; None when the row has no baseline
    target: str  # human-readable target
    met: bool | None  # None: could not be measured
    details: str = ""  # extra numbers worth reading (spread, sub-measurements)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.measured is None or not self.baseline:
            return None
        return self.measured / self.baseline

    def to_json(self) -> dict:
        return {"name": self.name, "title": self.title, "measured": self.measured, "unit": self.unit,
                "baseline": self.baseline, "ratio": self.ratio, "target": self.target, "met": self.met,
                "details": self.details, "extra": self.extra}


TWENTY_TOKENS = "".join(f"tok{i} " for i in range(20))  # what the fault server sends for {"tokens": 20}


async def alternate(one: Callable[[], Awaitable[object]], two: Callable[[], Awaitable[object]], requests: int,
                    warmup: int, *, setup: Callable[[Callable], object] | None = None,
                    check: Callable[[Callable, object], object] | None = None) -> tuple[list[float], list[float]]:
    """Time `one()` and `two()` alternately (ABBA), so drift in the machine hits both alike, after
    `warmup` untimed rounds of each; `setup(fn)` runs untimed before each call and `check(fn, result)`
    untimed after it. Returns (one's times, two's times) in seconds."""
    async def call(fn: Callable[[], Awaitable[object]]) -> float:
        if setup is not None:
            setup(fn)
        t = time.perf_counter()
        result = await fn()
        elapsed = time.perf_counter() - t
        if check is not None:
            check(fn, result)
        return elapsed

    for _ in range(warmup):
        for fn in (one, two):
            await call(fn)
    a_times: list[float] = []
    b_times: list[float] = []
    for i in range(requests):
        for fn in ((one, two) if i % 2 == 0 else (two, one)):
            (a_times if fn is one else b_times).append(await call(fn))
    return a_times, b_times


def median(values: list[float]) -> float:
    return statistics.median(values)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:.3f} ms" if value < 1 else f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"
    if unit == "%":
        return f"{value:.2f} %"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "×":
        return f"{value:.2f}×"
    return f"{value:.3g} {unit}".strip()


# -- /proc ---------------------------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14, 15 of the full line)


def rss_mb(pid: int | str = "self") -> float:
    """Resident set size in MB (VmRSS of /proc/<pid>/status)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def machine() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        cpu = platform.processor() or "?"
    mem = "?"
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.0f} GB RAM"
    except OSError:
        pass
    from importlib.metadata import version

    return (f"{os.cpu_count()} vCPU {cpu}, {mem}, Linux {platform.release()}, "
            f"Python {platform.python_version()}, textual {version('textual')}, httpx {version('httpx')}")


# -- the loopback fault server, in its own process -----------------------------------------------

class LoopbackServer:
    """`tests/faultserver.py` run standalone in a subprocess (its CPU is not the client's), with a
    large listen backlog and a log of when each stream was fully sent.

        with LoopbackServer({"scripts": {...}, "default": {...}}) as server:
            server.base_url  # http://127.0.0.1:PORT/v1
    """

    def __init__(self, script: dict, *, record: bool = False) -> None:
        self.script = script
        self.record = record
        self._dir = tempfile.TemporaryDirectory(prefix="mf-bench-server-")
        self.record_path = Path(self._dir.name) / "requests.jsonl"
        self.stream_log = Path(self._dir.name) / "streams.jsonl"
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> LoopbackServer:
        script_path = Path(self._dir.name) / "script.json"
        script_path.write_text(json.dumps(self.script), encoding="utf-8")
        cmd = [sys.executable, str(TESTS / "faultserver.py"), "--port", "0", "--script", str(script_path),
               "--backlog", "1024", "--stream-log", str(self.stream_log)]
        if self.record:
            cmd += ["--record", str(self.record_path)]
        self._log = open(Path(self._dir.name) / "server.log", "w", encoding="utf-8")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log, text=True, cwd=str(TESTS))
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            self.proc.kill()
            raise RuntimeError(f"fault server did not start: {line!r}")
        self.port = int(line)
        return self

    def recorded(self) -> list[dict]:
        if not self.record_path.exists():
            return []
        return [json.loads(line) for line in self.record_path.read_text(encoding="utf-8").splitlines() if line]

    def streams_sent(self) -> list[dict]:
        """`{"model", "sent"}` per streamed answer, `sent` being the server's perf_counter() after
        its last byte (CLOCK_MONOTONIC: comparable with this process's perf_counter())."""
        if not self.stream_log.exists():
            return []
        return [json.loads(line) for line in self.stream_log.read_text(encoding="utf-8").splitlines() if line]

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        return cpu_seconds(self.proc.pid)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self._log.close()
        self._dir.cleanup()


# -- configs -------------------------------------------------------------------------------------

def write_groups_yaml(folder: Path, base_url: str, groups: dict[str, list[str]], *,
                      policy: str = "", health: str = "") -> Path:
    """A groups.yaml with one provider `bench` (key from $BENCH_KEY) at `base_url`."""
    lines = ["providers:", "  bench:", f"    base_url: {base_url}", f"    api_key_env: {BENCH_KEY_ENV}",
             "default_provider: bench", "groups:"]
    lines += [f"  {name}: [{', '.join(models)}]" for name, models in groups.items()]
    if policy:
        lines.append(f"policy: {policy}")
    if health:
        lines.append(f"health: {health}")
    path = folder / "groups.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def open_engine(folder: Path, base_url: str, groups: dict[str, list[str]], *, policy: str = "",
                health: str = "", state: bool | str = True, **kwargs):
    """A ModelFallback as the CLI opens it: groups.yaml through the loader, a state file on disk
    (`state=False`: in memory; a string: that state location, a redis:// URL say)."""
    from tui.engine.api import ModelFallback
    from tui.engine.config.loader import load_config

    config = load_config(write_groups_yaml(folder, base_url, groups, policy=policy, health=health))
    location = state if isinstance(state, str) else (folder / "state.json") if state else None
    return ModelFallback(config, state_path=location, env={BENCH_KEY_ENV: BENCH_KEY}, **kwargs)


# -- child processes -----------------------------------------------------------------------------

def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a measured child process: bytecode caching on, as a user's Python has it
    (this sandbox sets PYTHONDONTWRITEBYTECODE, which would make every fresh process compile the
    project from source and inflate its start), and no MODELFALLBACK_* setting of the caller's."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("MODELFALLBACK")}
    return {**env, **(extra or {})}


def run_child(args: list[str], timeout: float = 600, env: dict[str, str] | None = None) -> dict:
    """Run `python -m benchmarks.<...> args` in a fresh process (`child_env`); its last stdout line is JSON."""
    full_env = child_env(env)
    full_env.setdefault("PYTHONHASHSEED", "0")
    proc = subprocess.run([sys.executable, *args], cwd=str(REPO), capture_output=True, text=True,
                          timeout=timeout, env=full_env)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"child {args} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


class Stopwatch:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000
