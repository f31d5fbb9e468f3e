"""Per-model health from active probes and passive chat results, kept in memory.

One record per model, fed by both the health monitor and every chat attempt, so a model that just
failed a real request shows it even if no probe ran.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from tui.engine.text import one_line

WINDOW = 20  # outcomes kept for the success rate


@dataclass
class HealthRecord:
    outcomes: deque = field(default_factory=lambda: deque(maxlen=WINDOW))  # True/False
    latencies_ms: deque = field(default_factory=lambda: deque(maxlen=WINDOW))  # successes' only (for p50)
    ttfts_ms: deque = field(default_factory=lambda: deque(maxlen=WINDOW))  # answers' times to first token
    last_latency_ms: float | None = None
    last_error: str | None = None
    last_error_kind: str | None = None
    checked_at: float | None = None  # wall time of the last probe or attempt

    def record(self, ok: bool, at: float, latency_ms: float | None = None, *, ttft_ms: float | None = None,
               error: str | None = None, kind: str | None = None) -> None:
        self.outcomes.append(ok)
        if ttft_ms is not None:
            self.ttfts_ms.append(ttft_ms)
        self.checked_at = at
        if latency_ms is not None:
            self.last_latency_ms = latency_ms
            if ok:  # a failure's time (a refused connection: 1 ms) says nothing about how fast answers come
                self.latencies_ms.append(latency_ms)
        if ok:
            self.last_error = None
            self.last_error_kind = None
        else:
            self.last_error = one_line(error or kind or "failed", 160)
            self.last_error_kind = kind

    @property
    def success_rate(self) -> float | None:
        return sum(self.outcomes) / len(self.outcomes) if self.outcomes else None

    @property
    def p50_ms(self) -> float | None:
        """The median latency of the kept window's successes. Written out: the statistics module would cost every
        start ~3 ms of imports for this one line."""
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return None
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2

    def ttft_p90_ms(self, at_least: int = 5) -> float | None:
        """The 90th percentile of recent times to first token (None with fewer than `at_least`):
        what `hedge: auto` waits before starting the next model."""
        if len(self.ttfts_ms) < at_least:
            return None
        ordered = sorted(self.ttfts_ms)
        return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]

    @property
    def status(self) -> str:
        """healthy / degraded / unknown.

        Degraded when the last outcome failed, or when fewer than half of four or more recent
        outcomes succeeded. A model that just recovered reads healthy at once; the success-rate
        column still shows its recent history.
        """
        if not self.outcomes:
            return "unknown"
        rate = self.success_rate or 0.0
        if not self.outcomes[-1] or (len(self.outcomes) >= 4 and rate < 0.5):
            return "degraded"
        return "healthy"


class HealthBook:
    """All records, by model name."""

    def __init__(self) -> None:
        self.records: dict[str, HealthRecord] = {}

    def get(self, model: str) -> HealthRecord:
        rec = self.records.get(model)
        if rec is None:
            rec = self.records[model] = HealthRecord()
        return rec
