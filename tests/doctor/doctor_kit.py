"""Helpers for the doctor tests: a config on the fault server, running doctor, finding a check."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tui.engine.clock import Clock
from tui.engine.doctor import Check, Report, Terminal, diagnose, open_setup

KEY = "sk-doctor-canary-5f4e3d2c1b0a9988"  # must never show up in any output
TERMINAL = Terminal(120, 40, 256)


def provider_yaml(name: str, base_url: str, *, key_env: str | None = "DOC_KEY", catalog: str = "none") -> str:
    key = f", api_key_env: {key_env}" if key_env else ""
    return f"  {name}: {{base_url: '{base_url}'{key}, catalog: {catalog}}}\n"


def config_text(providers: str, groups: str, *, timeout: str = "1s", default: str = "p") -> str:
    return (f"providers:\n{providers}default_provider: {default}\ngroups:\n{groups}"
            f"health: {{timeout: {timeout}}}\n")


async def doctor(config: Path, state: Path | str | None = None, *, env: Mapping[str, str] | None = None,
                 clock: Clock | None = None, **options) -> Report:
    """Open the setup as `modelfallback doctor` does and run every check."""
    env = {"DOC_KEY": KEY} if env is None else dict(env)
    opened = open_setup(str(config), None if state is None else str(state), env,
                        **({"clock": clock} if clock is not None else {}))
    if opened.engine is None:
        return Report.of(opened.checks)
    try:
        return await diagnose(opened.engine, terminal=TERMINAL, env=env, setup=opened.checks, **options)
    finally:
        await opened.engine.aclose(settle=False)


def find(report: Report, area: str, subject: str, title: str) -> Check:
    found = [c for c in report.checks if (c.area, c.subject, c.title) == (area, subject, title)]
    names = [(c.area, c.subject, c.title) for c in report.checks]
    assert len(found) == 1, f"{area}/{subject}/{title}: {found} in {names}"
    return found[0]


def no_key_anywhere(report: Report) -> None:
    import json

    assert KEY not in json.dumps(report.to_json())
