"""`modelfallback doctor`: every check of the setup, with ✓ / ! / ✗, a detail and a fix.

Exit 0 when nothing failed (warnings allowed), 1 otherwise; 2 only for a bad argument (an unknown
group). A config that does not load is not exit 2 here: it is the first ✗ of the report.
`--json` prints one object: `{"ok", "problems", "warnings", "elapsed_ms", "checks": [...]}`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from time import monotonic

from tui.cli.common import EXIT_FAILED, EXIT_OK, UsageError
from tui.engine.doctor import Report, diagnose, open_setup
from tui.engine.doctor.terminal import terminal_check, terminal_from_env

TITLE_WIDTH = 14


async def run(args: argparse.Namespace) -> int:
    env = os.environ
    started = monotonic()  # the time reported counts opening the setup (a slow state) too
    opened = open_setup(args.config, args.state, env, demo=args.demo)
    terminal = terminal_from_env(env)
    if opened.engine is None:
        report = Report.of([*opened.checks, terminal_check(terminal, env)])
    else:
        engine = opened.engine
        try:
            if args.group is not None and args.group not in engine.config.groups:
                raise UsageError(f"unknown group '{args.group}' (groups: {', '.join(engine.config.groups)})")
            report = await diagnose(engine, offline=args.offline, group=args.group, terminal=terminal, env=env,
                                    setup=opened.checks)
        finally:
            await engine.aclose(settle=False)
    report = dataclasses.replace(report, elapsed_s=max(report.elapsed_s, monotonic() - started))
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        sys.stdout.write(render(report))
    return EXIT_OK if report.ok else EXIT_FAILED


def render(report: Report) -> str:
    """The report as text: a heading per provider, model and group, a line per check, a fix below."""
    lines: list[str] = []
    heading = None
    for check in report.checks:
        here = (check.area, check.subject)
        if here != heading:
            heading = here
            lines.append(f"{check.area} {check.subject}".rstrip())
        lines.append(f"  {check.mark} {check.title:<{TITLE_WIDTH}} {check.detail}")
        if check.status in ("warn", "fail"):
            lines.append(f"    {'':<{TITLE_WIDTH}} fix: {check.fix}")
    problems, warnings = len(report.problems), len(report.warnings)
    lines.append(f"{problems} problem{'s' * (problems != 1)}, {warnings} warning{'s' * (warnings != 1)} "
                 f"({len(report.checks)} checks in {report.elapsed_s:.1f} s)")
    return "\n".join(lines) + "\n"
