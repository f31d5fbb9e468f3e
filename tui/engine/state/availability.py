"""Availability: a circuit breaker per model and a block per provider, on an injected clock.

States a model can be in (derived, never stored as a word):
- available: closed breaker;
- disabled: open — by hand (`manual`, for a duration or until enabled) or automatically (`auto`,
  after a failure, for a cooldown that grows `base × factor^(trips-1)` up to `max`);
- probing: half-open — a disable ran out; the next trial (background probe or real request)
  closes it on success or re-opens it with the next, longer cooldown on failure;
- while an automatic disable runs, a recheck every `health.recheck` may close it early
  (docs/architecture.md §6): a passing check closes the breaker but keeps the trips, which only a
  real request's success resets, so a flapping model still gets longer cooldowns for traffic;
- blocked: its provider (and key) is out, after a quota or auth failure.

All of it lives in the shared state store (`store.StateStore`: a file, or Redis), so other
processes see the same picture. Deadlines are wall-clock times because they cross process boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from collections.abc import Callable

from tui.engine.clock import Clock
from tui.engine.config import Config
from tui.engine.failures import Failure, FailureKind, Scope
from tui.engine.durations import MAX_DURATION_S, disable_seconds
from tui.engine.secrets import redact_known
from tui.engine.state.store import StateStore
from tui.engine.text import one_line

StateWord = Literal["available", "disabled", "probing", "blocked"]


@dataclass(frozen=True)
class ModelAvailability:
    """What the breaker says about one model right now."""

    state: StateWord
    remaining_s: float | None = None  # for disabled/blocked: seconds left; None = until enabled
    until: float | None = None  # wall time the disable ends (None = until enabled)
    source: str | None = None  # manual / auto
    kind: str | None = None  # the failure kind behind an auto disable or block; "manual" otherwise
    reason: str = ""
    trips: int = 0
    since: float | None = None  # wall time the disable or block began (for a countdown bar's full length)
    rechecked: float | None = None  # wall time of the last recheck of an automatic disable

    @property
    def usable(self) -> bool:
        return self.state in ("available", "probing")


def _running(disabled: dict | None, now: float) -> bool:
    """A disable whose deadline has not passed (or that lasts until enabled)."""
    return bool(disabled) and (disabled.get("until") is None or disabled["until"] > now)


def _manual_holds(disabled: dict | None, now: float) -> bool:
    """A manual disable that is still running; once it ran out the model is probed like any other."""
    return _running(disabled, now) and disabled.get("source") == "manual"


class Availability:
    """Reads and changes the breaker state held in a state store."""

    def __init__(self, config: Config, store: StateStore, clock: Clock,
                 key_fingerprint: Callable[[str], str | None] = lambda provider: None) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self._fingerprint = key_fingerprint

    # -- queries ---------------------------------------------------------------------------------
    def of(self, model: str, data: dict | None = None) -> ModelAvailability:
        """The current availability of a model (by name), from `data` when the caller already read
        the document for a batch of models (one look at the state file instead of one per model)."""
        if data is None:
            data = self.store.data
        now = self.clock.wall()
        provider = self.config.models[model].provider
        block = self._live_block(data.get("providers", {}).get(provider), provider, now)
        rec = data.get("models", {}).get(model) or {}
        trips = int(rec.get("trips", 0))
        disabled = rec.get("disabled")
        if disabled:
            until = disabled.get("until")
            if _running(disabled, now):
                return ModelAvailability(
                    "disabled", None if until is None else until - now, until, disabled.get("source"),
                    disabled.get("kind"), disabled.get("reason", ""), trips, disabled.get("since"),
                    rec.get("rechecked"))
            return ModelAvailability("probing", source=disabled.get("source"), kind=disabled.get("kind"),
                                     reason=disabled.get("reason", ""), trips=trips)
        if block is not None:
            until = block.get("until")
            return ModelAvailability("blocked", None if until is None else until - now, until, "auto",
                                     block.get("kind"), block.get("reason", ""), trips, block.get("since"))
        if rec.get("probing"):
            return ModelAvailability("probing", trips=trips)
        return ModelAvailability("available", trips=trips)

    def earliest_return(self, models: list[str]) -> float | None:
        """Seconds until the first of `models` becomes usable again (None if none has a deadline)."""
        remaining = [a.remaining_s for a in (self.of(m) for m in models)
                     if a.state in ("disabled", "blocked") and a.remaining_s is not None]
        return min(remaining) if remaining else None

    def next_check_s(self, model: str, interval: float, av: ModelAvailability | None = None) -> float | None:
        """Seconds until an automatic disable's next recheck (0: due now); None when no recheck
        applies: the model is not out, is out by hand, its whole provider is blocked, or its
        cooldown ends before the check would come. `av`: the model's availability, if already read."""
        if av is None:
            av = self.of(model)
        if av.state != "disabled" or av.source != "auto":
            return None
        last = max(av.since or 0.0, av.rechecked or 0.0)
        seconds = max(0.0, last + interval - self.clock.wall())
        if av.remaining_s is not None and seconds >= av.remaining_s:
            return None  # the cooldown ends first: then the model is probing, and its trial is the check
        return seconds

    def _live_block(self, block: dict | None, provider: str, now: float) -> dict | None:
        if not block:
            return None
        until = block.get("until")
        if until is not None and until <= now:
            return None
        fingerprint = block.get("key_fingerprint")
        if fingerprint is not None and fingerprint != self._fingerprint(provider):
            return None  # the key changed since the auth failure: give the new key a chance
        return block

    # -- manual control --------------------------------------------------------------------------
    def disable(self, model: str, seconds: float | None, reason: str = "") -> None:
        """Disable by hand for `seconds` (None: until enabled). Never lifted early by a probe.
        Raises ValueError for a duration outside the one rule (`durations.disable_seconds`)."""
        if seconds is not None:
            seconds = disable_seconds(seconds)
        now = self.clock.wall()
        entry = {"source": "manual", "kind": "manual", "reason": one_line(redact_known(reason)), "since": now,
                 "until": None if seconds is None else now + seconds}

        def mutate(data: dict) -> None:
            rec = data["models"].setdefault(model, {})
            rec["disabled"] = entry
            rec["probing"] = False

        self.store.update(mutate)

    def enable(self, model: str) -> None:
        """Bring a model back now: clears its disable, its trips and its provider's block."""
        provider = self.config.models[model].provider

        def mutate(data: dict) -> None:
            data["models"].pop(model, None)
            data["providers"].pop(provider, None)

        self.store.update(mutate)

    # -- results of trials -----------------------------------------------------------------------
    def record_success(self, model: str, started: float | None = None) -> None:
        """A real request succeeded: the breaker closes and its trips reset (no write when nothing
        changes). A success from a request that started before a running disable began (`started`,
        wall time) is ignored: the disable is news the request could not know.
        """
        self._close(model, started, reset_trips=True)

    def record_check_passed(self, model: str, started: float | None = None) -> None:
        """A check passed (a recheck, a half-open trial, the user's check now): the breaker closes
        at once, but the trips stay, so traffic that fails again gets the next, longer cooldown."""
        self._close(model, started, reset_trips=False)

    def mark_rechecked(self, model: str) -> None:
        """A recheck of `model` starts now: the next one is due `health.recheck` after this."""
        now = self.clock.wall()

        def mutate(data: dict) -> None:
            rec = data["models"].get(model)
            if rec is not None and rec.get("disabled"):
                rec["rechecked"] = now

        self.store.update(mutate, durable=False)

    def _close(self, model: str, started: float | None, *, reset_trips: bool) -> None:
        rec = self.store.data.get("models", {}).get(model)
        if not rec:
            return
        now = self.clock.wall()

        def closable(cur: dict) -> bool:
            disabled = cur.get("disabled")
            if _manual_holds(disabled, now):
                return False  # a manual disable is never lifted early by a result
            # a running disable that began after this request or check started is news it could not know
            return not (started is not None and _running(disabled, now) and disabled.get("since", 0) > started)

        if not closable(rec) or (not reset_trips and not rec.get("disabled") and not rec.get("probing")):
            return

        def mutate(data: dict) -> None:
            cur = data["models"].get(model)
            if not cur or not closable(cur):
                return
            if reset_trips:
                data["models"].pop(model, None)
            else:
                for key in ("disabled", "rechecked"):
                    cur.pop(key, None)
                cur["probing"] = False

        self.store.update(mutate, durable=False)

    def record_failure(self, model: str, failure: Failure) -> float | None:
        """Apply the policy for a failure; returns how long the model (or provider) is out.

        Returns None when the failure disables nothing (request-scoped kinds) and `inf` when it
        lasts until a user enables it (quota without a reset time, auth).
        """
        policy = failure.policy
        if policy.scope is Scope.REQUEST:
            return None
        now = self.clock.wall()
        detail = one_line(redact_known(failure.detail))
        retry_after = None if failure.retry_after_s is None else min(failure.retry_after_s, MAX_DURATION_S)
        if policy.scope is Scope.PROVIDER:
            provider = self.config.models[model].provider
            until = None
            if failure.reset_at is not None:  # a provider's reset time, kept within a sane range
                until = min(failure.reset_at, now + MAX_DURATION_S)
            elif retry_after is not None:
                until = now + retry_after
            block = {"kind": failure.kind.value, "reason": detail, "since": now, "until": until,
                     "key_fingerprint": self._fingerprint(provider) if failure.kind is FailureKind.AUTH else None}

            def mutate_provider(data: dict) -> None:
                data["providers"][provider] = block

            self.store.update(mutate_provider)
            return float("inf") if until is None else max(0.0, until - now)

        model_policy = self.config.models[model].policy
        out: dict = {}

        def mutate(data: dict) -> None:
            rec = data["models"].setdefault(model, {})
            current = rec.get("disabled")
            if _manual_holds(current, now):
                out["seconds"] = None if current.get("until") is None else current["until"] - now
                return  # a manual disable still holds; don't shorten or relabel it
            trips = int(rec.get("trips", 0)) + 1
            if policy.fixed_cooldown_s is not None:
                seconds = policy.fixed_cooldown_s
            else:
                seconds = model_policy.cooldown_for(trips)
                if retry_after is not None:
                    seconds = max(seconds, retry_after)  # Retry-After is a floor
            if current and current.get("until") is not None and current["until"] > now + seconds:
                seconds = current["until"] - now  # never shorten a longer cooldown already running
            rec.update(trips=trips, probing=False, disabled={
                "source": "auto", "kind": failure.kind.value, "reason": detail, "since": now,
                "until": now + seconds, "status": failure.status})
            out["seconds"] = seconds

        self.store.update(mutate, durable=False)
        return out.get("seconds")
