"""What one `doctor` check found, and the whole report.

Every check ends as one `Check`: a status (ok, warn, fail, or skip when it could not apply), a
short title, one line of detail and, for a warning or a failure, one line saying how to fix it.
The CLI prints them, `--json` dumps them, the TUI's doctor screen lists them: one shape for all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tui.engine.secrets import redact_known
from tui.engine.text import printable

Status = Literal["ok", "warn", "fail", "skip"]
MARKS: dict[str, str] = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "·"}
AREAS = ("config", "state", "provider", "model", "group", "terminal")  # the report's order


@dataclass(frozen=True)
class Check:
    """One finding. `subject` names what it is about (a provider, a model, a group; "" for the setup)."""

    area: str  # one of AREAS
    subject: str
    title: str
    status: Status
    detail: str
    fix: str = ""

    def __post_init__(self) -> None:
        # Text from outside (a provider's error, a state file's reason, an exception) reaches a
        # terminal and a JSON file from here: one line, no control characters, no registered key.
        for name in ("subject", "detail", "fix"):
            object.__setattr__(self, name, redact_known(printable(getattr(self, name))))

    @property
    def mark(self) -> str:
        return MARKS[self.status]

    def to_json(self) -> dict:
        return {"area": self.area, "subject": self.subject, "title": self.title, "status": self.status,
                "detail": self.detail, "fix": self.fix or None}


def ok(area: str, subject: str, title: str, detail: str) -> Check:
    return Check(area, subject, title, "ok", detail)


def warn(area: str, subject: str, title: str, detail: str, fix: str) -> Check:
    return Check(area, subject, title, "warn", detail, fix)


def fail(area: str, subject: str, title: str, detail: str, fix: str) -> Check:
    return Check(area, subject, title, "fail", detail, fix)


def skip(area: str, subject: str, title: str, detail: str) -> Check:
    return Check(area, subject, title, "skip", detail)


@dataclass(frozen=True)
class Report:
    """Every check of one run, in the report's order (area, then the config's order within it)."""

    checks: tuple[Check, ...]
    elapsed_s: float = 0.0

    @classmethod
    def of(cls, checks: Sequence[Check], elapsed_s: float = 0.0) -> Report:
        order = {area: n for n, area in enumerate(AREAS)}
        return cls(tuple(sorted(checks, key=lambda c: order.get(c.area, len(AREAS)))), elapsed_s)

    @property
    def problems(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.status == "warn"]

    @property
    def ok(self) -> bool:
        """No ✗ (warnings do not count): `doctor` exits 0."""
        return not self.problems

    def to_json(self) -> dict:
        return {"ok": self.ok, "problems": len(self.problems), "warnings": len(self.warnings),
                "elapsed_ms": round(self.elapsed_s * 1000), "checks": [c.to_json() for c in self.checks]}
