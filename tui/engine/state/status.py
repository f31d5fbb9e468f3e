"""One status row per model: availability (breaker), key presence and health merged.

The status word is what the user reads first: disabled / probing / blocked / no key come from the
breaker and the environment and win over the health words healthy / degraded / unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.engine.state.availability import ModelAvailability
from tui.engine.state.health_record import HealthRecord
from tui.engine.text import one_line

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
    key_env: str | None = None  # "no key": the environment variable to set
    api: str = "openai"  # the API its provider speaks (openai, anthropic, gemini)

    @property
    def glyph(self) -> str:
        return GLYPHS[self.status]

    @property
    def usable(self) -> bool:
        return self.status not in ("disabled", "blocked", "no key")

    @property
    def enableable(self) -> bool:
        """Out by a disable, a block or a running trial: `enable` brings it back (a missing key it cannot)."""
        return self.status in ("disabled", "blocked", "probing")

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
        if self.key_env is not None:
            out["key_env"] = self.key_env
        return out


def missing_key(env: str) -> str:
    """Why a model is out for want of its key, with the fix: the same words on every screen."""
    return f"${env} is not set: export {env}=…"


def model_status(model: str, provider: str, av: ModelAvailability, has_key: bool, health: HealthRecord,
                 persisted: dict | None = None, key_env: str | None = None,
                 api: str = "openai") -> ModelStatus:
    """Merge the three sources; `persisted` is the last health seen by another process (state file);
    `key_env`: the variable that holds the provider's key. Text from the state or a provider (the
    reason, the error) is one printable line here, so no screen or command shows it raw."""
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
    env = key_env if word == "no key" else None
    if env is not None:
        error = missing_key(env)
    return ModelStatus(model, provider, word, latency, health.p50_ms, health.success_rate, checked,
                       None if error is None else one_line(error), av.remaining_s, av.until,
                       one_line(av.reason) if av.reason else None, av.source, av.kind, av.trips, av.since,
                       key_env=env, api=api)


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
