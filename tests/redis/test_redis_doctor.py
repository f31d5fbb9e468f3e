"""`doctor` on a Redis state, against a real redis-server: round trip, pub/sub and the clock
difference to Redis's TIME (this machine's clock injected, never changed); a Redis that is down
or hung is a ✗ within the timeout, and the password never shows."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from redis_kit import PASSWORD, write_config

from tui.engine.clock import FakeClock
from tui.engine.doctor import Report, Terminal, diagnose, open_setup

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "doctor"))
from doctor_kit import find  # noqa: E402


async def _doctor(tmp_path: Path, url: str, clock: FakeClock | None = None) -> Report:
    config = write_config(tmp_path / "config")
    config.write_text(config.read_text() + "health: {timeout: 500ms}\n")
    opened = open_setup(str(config), url, {}, **({"clock": clock} if clock else {}))
    assert opened.engine is not None
    try:
        return await diagnose(opened.engine, offline=True, terminal=Terminal(100, 30, 256), setup=opened.checks)
    finally:
        await opened.engine.aclose(settle=False)


def _no_password(report: Report) -> None:
    assert PASSWORD not in json.dumps(report.to_json())


async def test_redis_round_trip_pubsub_and_clock(tmp_path: Path, url: str) -> None:
    report = await _doctor(tmp_path, url)
    redis = find(report, "state", "", "redis")
    assert redis.status == "ok" and "round trip" in redis.detail and "***@" in redis.detail
    assert find(report, "state", "", "pub/sub").status == "ok"
    assert find(report, "state", "", "clock").status == "ok"
    assert " · named by --state" in find(report, "state", "", "state location").detail
    _no_password(report)


async def test_a_clock_off_from_redis_warns_then_fails(tmp_path: Path, url: str) -> None:
    ahead = find(await _doctor(tmp_path, url, FakeClock(wall=time.time() + 5)), "state", "", "clock")
    assert ahead.status == "warn" and "behind this machine" in ahead.detail  # Redis is behind us
    off = find(await _doctor(tmp_path, url, FakeClock(wall=time.time() - 120)), "state", "", "clock")
    assert off.status == "fail" and "ahead of this machine" in off.detail and "time sync" in off.fix


async def test_a_redis_that_is_down_or_hung_is_a_failure(tmp_path: Path, own_server) -> None:
    url = own_server.url(prefix="doc")
    own_server.stop()  # hung: the port accepts, nothing answers
    try:
        hung = await _doctor(tmp_path, url)
    finally:
        own_server.cont()
    hung_check = find(hung, "state", "", "redis")
    assert hung_check.status == "fail" and hung_check.detail.endswith("meanwhile this machine works on a local copy")
    own_server.kill()
    down = await _doctor(tmp_path, url)
    check = find(down, "state", "", "redis")
    assert check.status == "fail" and "redis-cli" in check.fix
    for report in (hung, down):
        _no_password(report)
        # one Redis that does not answer is one problem, said once (not also as the store's warning)
        assert [(c.title, c.status) for c in report.checks if c.area == "state" and c.status != "ok"] == [
            ("redis", "fail")]


async def test_a_redis_offline_at_start_that_answers_now_is_a_warning(tmp_path: Path, own_server) -> None:
    config = write_config(tmp_path / "config")
    config.write_text(config.read_text() + "health: {timeout: 500ms}\n")
    own_server.stop()  # the store's connect at open times out: it starts offline, on its local copy
    try:
        opened = open_setup(str(config), own_server.url(prefix="late"), {})
    finally:
        own_server.cont()
    assert opened.engine is not None and opened.engine.store.offline
    try:
        report = await diagnose(opened.engine, offline=True, terminal=Terminal(100, 30, 256), setup=opened.checks)
    finally:
        await opened.engine.aclose(settle=False)
    assert find(report, "state", "", "redis").status == "ok"
    late = find(report, "state", "", "shared state")
    assert late.status == "warn" and "was offline at start" in late.detail and "answers now" in late.detail
    assert not [c for c in report.checks if c.title == "state warning"]
    _no_password(report)
