"""One `doctor` run: every check at once, bounded by `health.timeout` plus a second.

Providers, models, groups and the state are checked concurrently; a provider's call is made once
and awaited by every check that needs it (`Context`). Each network wait is bounded by
`health.timeout` on its own; the run as a whole has a safety bound too, so a check stuck anywhere
still ends as a ✗ saying so, and the report is always whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING

from tui.engine.doctor.context import Context, Terminal
from tui.engine.doctor.groups import group_checks
from tui.engine.doctor.models import model_checks
from tui.engine.doctor.providers import provider_checks
from tui.engine.doctor.result import Check, Report, fail
from tui.engine.doctor.setup import location_checks
from tui.engine.doctor.state import state_checks
from tui.engine.doctor.terminal import terminal_check

if TYPE_CHECKING:
    from tui.engine.api import ModelFallback

SLACK_S = 1.0  # the whole run's bound beyond health.timeout: every check has its own bound already


async def diagnose(engine: ModelFallback, *, offline: bool = False, probes: bool = True, group: str | None = None,
                   terminal: Terminal | None = None, env: Mapping[str, str] | None = None,
                   setup: list[Check] | None = None) -> Report:
    """Run every check of `engine`'s setup (`group`: only that group, its models and their
    providers). `offline`: no provider is contacted; `probes=False`: no one-token probe is sent.
    `setup`: the config and state checks already made while opening (else made here)."""
    config = engine.config
    groups = [group] if group is not None else list(config.groups)
    models = list(dict.fromkeys(m for g in groups for m in config.groups[g]))
    providers = list(dict.fromkeys(config.models[m].provider for m in models))
    ctx = Context(engine, offline=offline, probes=probes)
    if not offline:
        import httpx  # noqa: F401 - the first client's import (up to ~0.5 s on a busy machine) is start-up, not a check
    begin = engine.clock.monotonic()
    jobs: list[tuple[str, str, Awaitable[list[Check]]]] = [
        ("state", "", state_checks(ctx)),
        *(("provider", p, provider_checks(ctx, p)) for p in providers),
        *(("model", m, model_checks(ctx, m)) for m in models),
        *(("group", g, group_checks(ctx, g)) for g in groups)]
    for model in models:  # the probes take longest: on their way before anything else
        ctx.probe(model)
    tasks = [asyncio.ensure_future(job) for _, _, job in jobs]
    await asyncio.wait(tasks, timeout=ctx.timeout + SLACK_S)
    checks = list(setup) if setup is not None else location_checks(engine)
    for (area, subject, _), task in zip(jobs, tasks, strict=True):
        checks += _outcome(area, subject, task, ctx.timeout + SLACK_S)
    for future in ctx.pending():
        future.cancel()
    if terminal is not None:
        from os import environ

        checks.append(terminal_check(terminal, environ if env is None else env))
    return Report.of(checks, engine.clock.monotonic() - begin)


def _outcome(area: str, subject: str, task: asyncio.Future[list[Check]], bound: float) -> list[Check]:
    """A finished check's findings; one that did not finish or broke is a ✗ that says so."""
    if not task.done():
        task.cancel()
        return [fail(area, subject, "finished", f"did not finish within {bound:g}s",
                     "run doctor again; if it stays, something on the way hangs (a proxy, a lock)")]
    if task.exception() is not None:
        exc = task.exception()
        return [fail(area, subject, "finished", f"the check broke: {type(exc).__name__}: {exc}",
                     "a bug in doctor: please report it with this line")]
    return task.result()
