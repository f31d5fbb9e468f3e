"""Row: `modelfallback doctor` on a config of 20 models, as a user runs it (a fresh process).

The loopback server (its own process) lists the 20 models and answers each one-token probe after
200 ms; in the second setup 5 of the 20 never answer (their probes hang until the client gives
up). Every check runs at once, so the whole run should take about one `health.timeout` (2 s here)
when something hangs, and far less when nothing does: the target is `health.timeout` + 1 s for
all checks (the report's `elapsed_ms`, from the first check to the last). Also measured: the wall
time of the whole `python -m tui doctor --json` process, start-up and imports included.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import BENCH_KEY, BENCH_KEY_ENV, REPO, LoopbackServer, Result, child_env, median, \
    write_groups_yaml

NAME = "doctor"
TITLE = "doctor on 20 models, 5 of them hung: all checks done"
TIMEOUT_S = 2.0
TARGET = f"≤ health.timeout + 1 s ({TIMEOUT_S + 1:g} s)"
MODELS = [f"bench/m{i:02d}" for i in range(20)]
HUNG = MODELS[::4]  # 5 models whose probe never answers
LISTING = {"type": "json", "status": 200, "body": {"data": [
    {"id": m, "context_length": 32000, "pricing": {"prompt": "0.000001", "completion": "0.000002"}} for m in MODELS]}}
PROBE = {"type": "stream", "tokens": 1, "first_delay": 0.2}


def _script(hung: list[str]) -> dict:
    scripts = {"/v1/models": LISTING, **{m: {"type": "hang"} for m in hung}}
    return {"scripts": scripts, "default": PROBE}


def _once(config: Path, state: Path) -> tuple[float, dict]:
    env = child_env({BENCH_KEY_ENV: BENCH_KEY})
    begin = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tui", "--config", str(config), "--state", str(state), "doctor",
                           "--json"], cwd=str(REPO), capture_output=True, text=True, timeout=60, env=env,
                          stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - begin
    report = json.loads(proc.stdout)
    return elapsed, report


def measure(hung: list[str], repeats: int) -> tuple[list[float], list[float], int]:
    """(process wall times, the reports' own times, healthy probes that failed) over `repeats` runs
    after a warm-up. Every hung model must be reported as a failed probe (not as a check that did
    not finish); a healthy one that failed (the machine too busy to get 200 ms in 2 s) is counted."""
    walls: list[float] = []
    inner: list[float] = []
    extra = 0
    with LoopbackServer(_script(hung)) as server, tempfile.TemporaryDirectory(prefix="mf-bench-") as tmp:
        config = write_groups_yaml(Path(tmp), server.base_url, {"all": MODELS[:10], "rest": MODELS[10:]},
                                   health=f"{{timeout: {TIMEOUT_S:g}s}}")
        state = Path(tmp) / "state.json"
        for i in range(repeats + 1):
            wall, report = _once(config, state)
            probes = {c["subject"]: c["status"] for c in report["checks"] if c["title"] == "probe"}
            failed = {m for m, status in probes.items() if status == "fail"}
            assert len(probes) == 20 and failed >= set(hung), probes
            if i:
                walls.append(wall)
                inner.append(report["elapsed_ms"] / 1000)
                extra += len(failed - set(hung))
    return walls, inner, extra


def run(quick: bool = False) -> Result:
    repeats = 3 if quick else 7
    hung_walls, hung_inner, extra_hung = measure(HUNG, repeats)
    ok_walls, ok_inner, extra_ok = measure([], repeats)
    details = (f"{repeats} runs each. 5 hung: the checks {min(hung_inner):.2f}–{max(hung_inner):.2f} s, the whole "
               f"process {median(hung_walls):.2f} s ({min(hung_walls):.2f}–{max(hung_walls):.2f}, start-up and "
               f"imports included); none hung: the checks {median(ok_inner):.2f} s, the process "
               f"{median(ok_walls):.2f} s ({min(ok_walls):.2f}–{max(ok_walls):.2f}); healthy probes that failed "
               f"on a busy machine: {extra_hung + extra_ok}")
    return Result(NAME, TITLE, median(hung_inner), "s", TIMEOUT_S, TARGET, max(hung_inner) <= TIMEOUT_S + 1, details,
                  extra={"hung_walls": hung_walls, "hung_checks": hung_inner, "ok_walls": ok_walls,
                         "ok_checks": ok_inner})


if __name__ == "__main__":
    print(run(quick=True))
