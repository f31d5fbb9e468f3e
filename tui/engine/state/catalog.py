"""What the providers published about our models, kept in the shared state so every process uses it.

Under the document's `catalog` key, per model: `context` (tokens), `uptime` (percent, the
provider's own figure) and `at` (wall time of the fetch). A fact goes stale: a context length is
trusted for a day, an uptime for a quarter of an hour; stale facts read as unknown, so a listing
that stopped answering never leaves an old figure on screen as if it were current.
"""

from __future__ import annotations

from tui.engine.clock import Clock
from tui.engine.state.store import StateStore

CONTEXT_FRESH_S = 24 * 3600.0
UPTIME_FRESH_S = 15 * 60.0


class CatalogBook:
    def __init__(self, store: StateStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def _entry(self, model: str, key: str, fresh_s: float, data: dict | None = None) -> object:
        entry = (self.store.data if data is None else data).get("catalog", {}).get(model)
        if not isinstance(entry, dict) or not isinstance(entry.get(f"{key}_at"), (int, float)):
            return None
        return entry.get(key) if self.clock.wall() - entry[f"{key}_at"] <= fresh_s else None

    def context_length(self, model: str, data: dict | None = None) -> int | None:
        """The published context length while fresh; `data`: the document, if already read."""
        value = self._entry(model, "context", CONTEXT_FRESH_S, data)
        return value if isinstance(value, int) and value > 0 else None

    def uptime(self, model: str, data: dict | None = None) -> float | None:
        """The provider's uptime figure for `model` while fresh; `data`: the document, if already read."""
        value = self._entry(model, "uptime", UPTIME_FRESH_S, data)
        return float(value) if isinstance(value, (int, float)) else None

    def listing_age(self, models: list[str]) -> float | None:
        """Seconds since the oldest of `models` was last seen in a listing (None: never)."""
        catalog = self.store.data.get("catalog", {})
        stamps = [e.get("context_at") for m in models for e in [catalog.get(m)] if isinstance(e, dict)]
        if len(stamps) < len(models) or not all(isinstance(s, (int, float)) for s in stamps):
            return None
        return self.clock.wall() - min(stamps)  # type: ignore[type-var]

    def record(self, facts: dict[str, dict[str, float | int | None]]) -> None:
        """Remember `facts` ({model: {"context": n} and/or {"uptime": x}}), stamped now; written behind."""
        now = self.clock.wall()

        def mutate(data: dict) -> None:
            catalog = data.setdefault("catalog", {})
            for model, values in facts.items():
                entry = catalog.setdefault(model, {})
                for key, value in values.items():
                    entry[key], entry[f"{key}_at"] = value, now

        if facts:
            self.store.update(mutate, durable=False)
