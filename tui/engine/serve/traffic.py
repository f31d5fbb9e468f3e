"""The served requests, as the headless log and the TUI's traffic view see them.

Every request the endpoint handles is one `Served` record, updated in place as it goes (waiting,
streaming, done, failed, cancelled); `Traffic` keeps the recent ones, counts what is in flight,
what was served today and how many answers each model gave, and tells its listeners about every
change (the TUI redraws, the headless log prints a line when a request ends).
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from tui.engine.events import Attempt

State = Literal["waiting", "streaming", "done", "failed", "cancelled"]
RECENT = 500  # records kept for the traffic view; older ones are only counted


@dataclass
class Served:
    """One served request: who asked, for what, who answered, how it went."""

    number: int
    started: float  # wall-clock time
    client: str  # the user agent (or the peer address without one)
    route: str
    group: str = ""
    model: str | None = None  # the model answering (or that answered)
    state: State = "waiting"
    status: int | None = None  # the HTTP status sent
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost: float | None = None
    ms: int | None = None  # the whole request, when it ended
    attempts: list[Attempt] = field(default_factory=list)
    detail: str = ""  # why it failed, when it did

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")


Listener = Callable[[Served], None]


class Traffic:
    """The recent requests and the counters the header and the models table show."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.recent: deque[Served] = deque(maxlen=RECENT)
        self.in_flight = 0
        self.served_by: Counter[str] = Counter()  # answers per model
        self._clock = clock
        self._day_ends = self._next_midnight()
        self._today_count = 0
        self._number = 0
        self.listeners: list[Listener] = []

    def _next_midnight(self) -> float:
        """When the local day that holds the clock's time ends (the date is worked out once a day,
        not on every request)."""
        now = time.localtime(self._clock())
        return time.mktime((now.tm_year, now.tm_mon, now.tm_mday + 1, 0, 0, 0, 0, 0, -1))

    @property
    def today(self) -> int:
        """Requests started today (local time)."""
        if self._clock() >= self._day_ends:
            self._day_ends, self._today_count = self._next_midnight(), 0
        return self._today_count

    def begin(self, client: str, route: str) -> Served:
        _ = self.today  # roll the day over first
        self._number += 1
        self._today_count += 1
        self.in_flight += 1
        record = Served(self._number, self._clock(), client, route)
        self.recent.append(record)
        self.changed(record)
        return record

    def end(self, record: Served, state: State, status: int, detail: str = "") -> None:
        """Close `record` once (a second call is ignored: a cancel after the end changes nothing)."""
        if record.finished:
            return
        record.state, record.status, record.detail = state, status, detail
        record.ms = int((self._clock() - record.started) * 1000)
        self.in_flight -= 1
        if state == "done" and record.model is not None:
            self.served_by[record.model] += 1
        self.changed(record)

    def changed(self, record: Served) -> None:
        for listener in list(self.listeners):
            listener(record)
