"""What the user is told, and where: a quiet screen.

- The **event log** gets every line, timestamped.
- The **status line** (the models panel's bottom edge, see `StatusLine`) shows the latest
  automatic event for a few seconds: cooldowns, recoveries, rechecks, probe results, failovers,
  disables and enables made in another process, the shared state going offline and back.
- **Toasts** only for the user's own actions (the results of disable, enable, check, export) and
  for "every model of the chat's group is out", told once each time it happens. Automatic events
  never toast: tried at 80×24, their toasts covered most of the models table for a minute.
- The **header** carries what lasts: `shared state offline: <reason>` while it is.
"""

from __future__ import annotations

from collections.abc import Callable

from tui.engine.clock import Clock
from tui.engine.secrets import redact_known
from tui.engine.state.status import ModelStatus
from tui.engine.text import one_line
from tui.widgets.event_log import EventLog
from tui.widgets.status_line import StatusLine
from tui.wording.events import all_out_text, describe_change
from tui.wording.status import OUT, offline_text, time_left

Notify = Callable[..., object]  # App.notify
TOLD_MAX = 400  # a told line (log, toast, status line) is cut here: two reasons and names fit
WATCHED = (*OUT, "probing", "degraded")


def routine(row: ModelStatus, before: tuple | None) -> bool:
    """A change only the log needs: `unknown` → `healthy` after a sweep, say (the sweep's own
    summary line tells it once for all models)."""
    return row.status not in WATCHED and (before is None or before[0] not in WATCHED)


class Announcer:
    """The main screen's one place for telling: log, status line, toast."""

    def __init__(self, notify: Notify, event_log: EventLog, status_line: StatusLine, clock: Clock) -> None:
        self.notify = notify
        self.event_log = event_log
        self.status_line = status_line
        self.clock = clock
        self.mine: set[str] = set()  # models this UI just disabled or enabled (not "elsewhere")
        self._last: dict[str, tuple] = {}  # model -> (status, until, source) seen at the last tick
        self._all_out: str | None = None  # the group whose "every model is out" was told
        self._offline: str | None = None  # the offline text last logged

    def log(self, text: str, severity: str = "information", *, toast: bool = False, line: bool = True,
            timeout: float = 4) -> None:
        """A line for the event log; also a toast when it answers the user's own action (`toast`),
        else the status line (unless `line` is False: a detail a summary toast covers)."""
        text = one_line(redact_known(text), TOLD_MAX)  # names and reasons from outside: never raw on screen
        self.event_log.add(text, self.clock.wall(), severity)
        if toast:
            self.notify(text[:1].upper() + text[1:], severity=severity, markup=False, timeout=timeout)
        elif line:
            self.status_line.say(text, severity, self.clock.monotonic())

    def tick(self) -> None:
        self.status_line.expire(self.clock.monotonic())

    # -- what changed since the last tick --------------------------------------------------------
    def note_changes(self, rows: list[ModelStatus]) -> None:
        """Log what changed since the last tick; the first tick only notes what is out."""
        first = not self._last
        blocked: dict[str, ModelStatus] = {}
        for row in rows:
            out = row.status in OUT
            now_seen = (row.status, row.until if out else None, row.source if out else None)
            before = self._last.get(row.model)
            self._last[row.model] = now_seen
            if before == now_seen:
                continue
            if first:
                if out:
                    self.log(f"{row.model} is {row.status} ({row.source}), {time_left(row)}")
                continue
            mine = row.model in self.mine
            change = describe_change(row, before, mine=mine)
            if change is None:
                continue
            if row.status == "blocked" and not mine:
                blocked.setdefault(row.provider, row)
                self.log(*change, line=False)  # one line per provider below
                continue
            self.log(*change, line=not routine(row, before))
        for provider, row in blocked.items():
            self.log(f"provider {provider} blocked ({row.kind}): its models are out", "error")
        self.mine.clear()

    def group_state(self, group: str, chain: list[ModelStatus], preferred: str | None) -> None:
        """Toast once when no model of the chat's `group` can answer; again only after one came back
        or the chat moved to another group."""
        if preferred is not None:
            self._all_out = None
            return
        if self._all_out == group:
            return
        self._all_out = group
        self.log(all_out_text(group, chain), "error", toast=True, timeout=8)

    def shared_state(self, reason: str | None) -> str | None:
        """The header's offline text (None when online). Going offline and coming back are logged
        once each; a reason that changes while offline (a retry count) only updates the header."""
        text = None if reason is None else offline_text(reason)
        if text is not None and self._offline is None:
            self.log(text, "warning")
        elif text is None and self._offline is not None:
            self.log("shared state back online", "information")
        self._offline = text
        return text
