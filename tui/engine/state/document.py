"""Checking a state document read from a file or from Redis, entry by entry.

The state is shared: another process, an older or newer install, a hand edit or a bug elsewhere
may have left an entry of the wrong shape (`"until": "soon"`, `"kind": 5`, a disable ending in
1e308). One such entry must not take the whole state down, on this machine or any other: an entry
that does not fit is dropped, with one warning naming it, and the rest is used. Strings are kept
to one printable line of bounded length; times must be finite wall times in a sane range.

`clean(data)` checks a document in place; `describe_top(data)` says why a whole JSON value is no
state document at all (`null`, a list, another version).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from tui.engine.text import LINE_MAX, one_line

SECTIONS = ("models", "providers", "health", "leases", "catalog")
# Wall times outside [0, 2100-01-01) are no real deadline: a disable ending in 1e308 is dropped
# instead of showing a countdown of 150 digits.
WALL_MAX = 4_102_444_800.0
TRIPS_MAX = 10**9  # a model failing every second for 30 years stays below; more is corruption
HEALTH_WORDS = ("healthy", "degraded", "unknown")
SHOWN_PROBLEMS = 5  # a document with many bad entries: this many named, then a count


class Unfit(ValueError):
    """One value of an entry does not fit; the message says which and why."""


def _time(value: object, where: str, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 <= value < WALL_MAX:
        raise Unfit(f"{where}: expected a time, got {_shown(value)}")
    return float(value)


def _number(value: object, where: str, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise Unfit(f"{where}: expected a number, got {_shown(value)}")
    return value


def _text(value: object, where: str, *, optional: bool = False, choices: tuple[str, ...] = ()) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or (choices and value not in choices):
        expected = " or ".join(repr(c) for c in choices) if choices else "text"
        raise Unfit(f"{where}: expected {expected}, got {_shown(value)}")
    return one_line(value, LINE_MAX)


def _object(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise Unfit(f"{where}: expected an object, got {_shown(value)}")
    return value


def _shown(value: object) -> str:
    """A bad value for a warning: short, one line (it may be anything, of any size)."""
    if isinstance(value, (dict, list)):
        return f"a JSON {'object' if isinstance(value, dict) else 'list'}"
    return one_line(repr(value), 40)


def _fix(entry: dict, key: str, check: Callable[..., object], where: str, **options: object) -> None:
    """Check `entry[key]` when present and keep the value the check returns (a string made one line)."""
    if key in entry:
        entry[key] = check(entry[key], where + key, **options)


def _out(value: dict, where: str) -> None:
    """A disable or a provider block: why, since when and until when (None: until enabled)."""
    _fix(value, "kind", _text, where, optional=True)
    _fix(value, "reason", _text, where, optional=True)
    _fix(value, "since", _time, where, optional=True)
    _fix(value, "until", _time, where, optional=True)


def _model(entry: object) -> None:
    rec = _object(entry, "entry")
    if "trips" in rec:
        trips = rec["trips"]
        if isinstance(trips, bool) or not isinstance(trips, int) or not 0 <= trips <= TRIPS_MAX:
            raise Unfit(f"trips: expected a count, got {_shown(trips)}")
    if "probing" in rec and not isinstance(rec["probing"], bool):
        raise Unfit(f"probing: expected true or false, got {_shown(rec['probing'])}")
    _fix(rec, "rechecked", _time, "", optional=True)
    disabled = rec.get("disabled")
    if disabled is not None and disabled != {}:  # {} and None: not disabled
        disabled = _object(disabled, "disabled")
        _text(disabled.get("source"), "disabled.source", optional=True, choices=("manual", "auto"))
        _out(disabled, "disabled.")
        status = disabled.get("status")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
            raise Unfit(f"disabled.status: expected an HTTP status, got {_shown(status)}")


def _provider(entry: object) -> None:
    block = _object(entry, "entry")
    _out(block, "")
    _fix(block, "key_fingerprint", _text, "", optional=True)


def _health(entry: object) -> None:
    row = _object(entry, "entry")
    _fix(row, "status", _text, "", optional=True, choices=HEALTH_WORDS)
    _fix(row, "latency_ms", _number, "", optional=True)
    _fix(row, "error", _text, "", optional=True)
    _fix(row, "checked_at", _time, "", optional=True)


def _lease(entry: object) -> None:
    lease = _object(entry, "entry")
    _text(lease.get("owner"), "owner")
    _number(lease.get("until"), "until")


def _catalog(entry: object) -> None:
    facts = _object(entry, "entry")
    for key, value in facts.items():
        if key.endswith("_at"):
            _time(value, key)
        else:
            _number(value, key, optional=True)


_CHECKS: dict[str, Callable[[object], None]] = {
    "models": _model, "providers": _provider, "health": _health, "leases": _lease, "catalog": _catalog}


def _entries(holder: dict, key: str, check: Callable[[object], None], label: str) -> list[str]:
    """Check `holder[key]`, a mapping of entries: one that is no mapping is emptied, an entry that
    does not fit is dropped. Returns one problem per thing dropped, named by `label`."""
    entries = holder.setdefault(key, {})
    if not isinstance(entries, dict):
        holder[key] = {}
        return [f"'{label}' (expected an object, got {_shown(entries)})"]
    problems = []
    for name in list(entries):
        try:
            check(entries[name])
        except Unfit as exc:
            problems.append(f"{label}['{one_line(name, 80)}'] ({exc})")
            del entries[name]
    return problems


def _stamps(data: dict) -> list[str]:
    """The Redis document's bookkeeping (`shared_doc`): stamps and unsynced marks, per section."""
    problems = []
    for key, check in (("stamps", _stamp), ("unsynced", _mark)):
        if key not in data:
            continue
        if not isinstance(data[key], dict):
            problems += _entries(data, key, _stamp, key)
            continue
        for section in list(data[key]):
            problems += _entries(data[key], section, check, f"{key}.{one_line(section, 60)}")
    return problems


def _stamp(value: object) -> None:
    stamp = _object(value, "stamp")
    _time(stamp.get("at", 0), "at")
    if not isinstance(stamp.get("manual", False), bool):
        raise Unfit(f"manual: expected true or false, got {_shown(stamp.get('manual'))}")


def _mark(value: object) -> None:
    _time(value, "mark")


def describe_top(data: object, version: int) -> str | None:
    """Why `data` (a parsed JSON value) is not a state document of `version`; None when it is one."""
    if not isinstance(data, dict):
        kind = {type(None): "null", list: "a list", str: "a string", bool: "true/false"}.get(type(data), "a number")
        return f"not a state document (the file holds {kind}, expected an object)"
    if "version" not in data:
        return "not a state document (no 'version')"
    if data["version"] != version or isinstance(data["version"], bool):
        return f"unsupported state version {_shown(data['version'])} (this one reads {version})"
    return None


def clean(data: dict) -> list[str]:
    """Check every entry of the document `data` in place: an entry that does not fit is dropped,
    a section that is no object is emptied. Returns one problem per dropped thing, naming it."""
    problems: list[str] = []
    for section in SECTIONS:
        problems += _entries(data, section, _CHECKS[section], section)
    problems += _stamps(data)
    rev = data.get("rev", 0)
    if isinstance(rev, bool) or not isinstance(rev, int) or rev < 0:
        problems.append(f"'rev' (expected a revision number, got {_shown(rev)})")
        data["rev"] = 0
    if not isinstance(data.get("epoch", ""), str):
        problems.append(f"'epoch' (expected text, got {_shown(data['epoch'])})")
        del data["epoch"]
    return problems


def summary(problems: list[str], where: str) -> list[str]:
    """The warnings for `problems`: one line per dropped entry, at most SHOWN_PROBLEMS, then a count."""
    lines = [f"{where}: ignored {p}: it does not fit and the rest of the state is used" for p in
             problems[:SHOWN_PROBLEMS]]
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"{where}: ignored {len(problems) - SHOWN_PROBLEMS} more entries that do not fit")
    return lines
