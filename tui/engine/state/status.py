"""One status row per model: availability (breaker), key presence and health merged.

The status word is what the user reads first: disabled / probing / blocked / no key come from the
breaker and the environment and win over the health words healthy / degraded / unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.engine.state.availability import ModelAvailability
from tui.engine.state.health_record import HealthRecord

GLYPHS = {
    "healthy": "●",
    "degraded": "◐",
    "disabled": "✕",
    "probing": "◌",
    "blocked": "⊘",
    "no key": "⚿",
    "unknown": "?",
}


@dataclass(frozen=True)
class ModelStatus:
    model: str
    provider: str
    status: str  # a key of GLYPHS
    latency_ms: float | None
    p50_ms: float | None
    success_rate: float | None
    checked_at: float | None  # wall time
    error: str | None
    remaining_s: float | None = None
    until: float | None = None
    reason: str | None = None
    source: str | None = None
    kind: str | None = None
    trips: int = 0
    since: float | None = None  # wall time the disable began: `until - since` is the countdown's full length
    next_check_s: float | None = None  # an automatic disable: seconds until its next recheck (0 = due)
    uptime: float | None = None  # the provider's own uptime figure, percent (OpenRouter: last 30 min)
    api: str = "openai"  # the API its provider speaks (openai, anthropic, gemini)

    @property
    def glyph(self) -> str:
        return GLYPHS[self.status]

    @property
    def usable(self) -> bool:
        return self.status not in ("disabled", "blocked", "no key")

    def to_json(self) -> dict:
        out = {"model": self.model, "provider": self.provider, "api": self.api, "status": self.status,
               "latency_ms": None if self.latency_ms is None else round(self.latency_ms),
               "error": self.error}
        if self.status in ("disabled", "blocked"):
            out.update(remaining_s=None if self.remaining_s is None else round(self.remaining_s, 1),
                       reason=self.reason, source=self.source, kind=self.kind)
            if self.next_check_s is not None:
                out["next_check_s"] = round(self.next_check_s, 1)
        if self.uptime is not None:
            out["uptime"] = round(self.uptime, 1)
        return out


def model_status(model: str, provider: str, av: ModelAvailability, has_key: bool, health: HealthRecord,
                 persisted: dict | None = None, api: str = "openai") -> ModelStatus:
    """Merge the three sources; `persisted` is the last health seen by another process (state file)."""
    persisted = persisted or {}
    if av.state in ("disabled", "blocked", "probing"):
        word = av.state
    elif not has_key:
        word = "no key"
    elif health.outcomes:
        word = health.status
    else:
        word = persisted.get("status") or "unknown"
    latency = health.last_latency_ms if health.last_latency_ms is not None else persisted.get("latency_ms")
    checked = health.checked_at if health.checked_at is not None else persisted.get("checked_at")
    error = health.last_error if health.outcomes else persisted.get("error")
    if word in ("disabled", "blocked") and not error:
        error = av.reason or None
    return ModelStatus(model, provider, word, latency, health.p50_ms, health.success_rate, checked, error,
                       av.remaining_s, av.until, av.reason or None, av.source, av.kind, av.trips, av.since,
                       api=api)


def first_back(rows: list[ModelStatus]) -> tuple[str, float] | None:
    """Of one group's rows, the model expected to answer first and in how many seconds: a usable one
    now (0), else the soonest cooldown's or block's end, or next recheck when sooner (a recheck may
    bring it back then). None when nothing of them comes back by itself (disabled until enabled,
    no key)."""
    best: tuple[str, float] | None = None
    for row in rows:
        if row.usable:
            return row.model, 0.0
        if row.status not in ("disabled", "blocked") or row.remaining_s is None:
            continue
        seconds = row.remaining_s if row.next_check_s is None else min(row.remaining_s, row.next_check_s)
        if best is None or seconds < best[1]:
            best = (row.model, seconds)
    return best
