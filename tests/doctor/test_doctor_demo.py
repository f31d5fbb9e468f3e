"""`doctor` on the demo: the simulated providers answer every call doctor makes, OpenRouter's key
endpoint included, so the demo shows each check the way a real setup does."""

from __future__ import annotations

from pathlib import Path

from doctor_kit import TERMINAL, find

from tui.engine.doctor import diagnose, open_setup
from tui.engine.sim.demo import DEMO_ACCOUNT, demo_env


async def test_the_demo_key_check_tells_the_credit_left(tmp_path: Path) -> None:
    env = demo_env()
    opened = open_setup(None, str(tmp_path / "state.json"), env, demo=True)
    assert opened.engine is not None
    try:
        report = await diagnose(opened.engine, group="coding", probes=False, terminal=TERMINAL, env=env,
                                setup=opened.checks)
    finally:
        await opened.engine.aclose(settle=False)
    works = find(report, "provider", "openrouter", "key works")
    left = DEMO_ACCOUNT.limit - DEMO_ACCOUNT.usage
    assert works.status == "ok"
    assert works.detail == (f"simulated provider: accepted; ${left:,.2f} of ${DEMO_ACCOUNT.limit:,.2f} left; "
                            f"${DEMO_ACCOUNT.usage:,.2f} used")
    endpoint = find(report, "provider", "openrouter", "endpoint")
    assert endpoint.status == "ok" and "not_found" not in endpoint.detail


async def test_the_demo_placeholder_key_is_not_one_key_shared_by_every_provider(tmp_path: Path) -> None:
    """The demo gives each key variable one placeholder; its `direct` group (three providers, three
    variables) is spread, as the same setup with real keys would be."""
    env = demo_env()
    opened = open_setup(None, str(tmp_path / "state.json"), env, demo=True)
    assert opened.engine is not None
    try:
        report = await diagnose(opened.engine, group="direct", offline=True, terminal=TERMINAL, env=env,
                                setup=opened.checks)
    finally:
        await opened.engine.aclose(settle=False)
    spread = find(report, "group", "direct", "spread")
    assert (spread.status, spread.detail) == ("ok", "3 models over 3 providers")


async def test_the_time_reported_counts_opening_the_setup(tmp_path: Path, monkeypatch, capsys) -> None:
    """A state that is slow to open (a hung Redis takes its connect limit) is part of the time the
    report gives, not only the checks after it."""
    import argparse
    import json

    from tui.cli import doctor as doctor_cli

    readings = iter([100.0, 107.5])  # the start, then the end: 7.5 s, most of it before the checks
    monkeypatch.setattr(doctor_cli, "monotonic", lambda: next(readings))
    args = argparse.Namespace(config=None, state=str(tmp_path / "state.json"), demo=True, group="coding",
                              offline=True, json=True)
    monkeypatch.setattr(doctor_cli, "os", type("Env", (), {"environ": demo_env()}))
    await doctor_cli.run(args)
    assert json.loads(capsys.readouterr().out)["elapsed_ms"] == 7500
