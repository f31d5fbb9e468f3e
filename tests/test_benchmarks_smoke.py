"""The benchmark runner works: one cheap row, quick mode, in a subprocess (no timing threshold)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_runner_quick_skip_row(tmp_path):
    out_md = tmp_path / "latest.md"
    out_json = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--only", "skip", "--out", str(out_md),
         "--json", str(out_json)],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    row = next(line for line in proc.stdout.splitlines() if line.startswith("skip "))
    assert re.search(r"\d+\.\d+ ms", row), row
    assert "skipping a disabled model" in out_md.read_text(encoding="utf-8")
    [result] = json.loads(out_json.read_text(encoding="utf-8"))
    assert result["name"] == "skip" and isinstance(result["measured"], float)
    assert result["extra"]["requests_to_disabled"] == 0


def test_runner_rejects_an_unknown_row(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "benchmarks.run", "--only", "nope", "--out", str(tmp_path / "x.md")],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "unknown row" in proc.stderr


def test_the_failover_rows_run_to_a_result(tmp_path):
    """The failover rows share the loopback script (file and Redis store alike): a row whose
    requests no longer match it must fail here, not in the next full benchmark run."""
    out_json = tmp_path / "results.json"
    user = {name: tmp_path / "user" / name for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")}
    env = {**os.environ, **{name: str(path) for name, path in user.items()}}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--only", "failover,redis-failover", "--out",
         str(tmp_path / "latest.md"), "--json", str(out_json)],
        cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    left = [str(p) for p in (tmp_path / "user").rglob("*")]
    assert left == [], f"the benchmarks wrote into the user's own folders: {left}"
    results = {r["name"]: r for r in json.loads(out_json.read_text(encoding="utf-8"))}
    assert set(results) == {"failover", "redis-failover"}
    for name, result in results.items():
        assert isinstance(result["measured"], float) and result["measured"] > 0, (name, proc.stdout)
