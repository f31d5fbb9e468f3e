"""The shared document's bookkeeping for Redis: change stamps, unsynced marks, and the merge rules.

The availability document (`models`, `providers`, `health`) is shared by every process that uses one
Redis. A process that cannot reach Redis keeps working on a local file and pushes what it changed
when Redis returns. To merge its changes with what others did meanwhile, each entry (one model, one
provider, one health row) carries a stamp beside the document, not inside it (an enabled model has
no entry left to carry one):

    "stamps":   {"models": {"openai/gpt-4": {"at": 1712345678.9, "manual": true}}, ...}
    "unsynced": {"models": {"openai/gpt-4": 1712345678.9}, ...}     (the local file only)

`at` is the wall time of the entry's last change and `manual` whether it came from a manual
(durable) update. `unsynced` lists the entries a process changed while Redis was out of reach.

The merge rules (docs/shared-state.md), for one entry changed on both sides:
- a manual change against anything: the later one wins, except that an automatic change never
  undoes a manual disable that was still running when it happened (as `Availability` would have
  refused it, had both changes been made in one place);
- two automatic changes (cooldowns): the later end wins (a cleared entry ends when it was cleared);
  for health rows, the later one wins.

Pure functions on plain dicts: no Redis here, so the rules are tested on their own.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterable

SECTIONS = ("models", "providers", "health", "catalog")  # catalog: what providers published (§6)
TOMBSTONE_DAYS = 7  # stamps of removed entries are kept this long, so a late push cannot revive them
Entry = tuple[str, str]  # (section, name)


def snapshot(data: dict) -> dict:
    """A deep copy of the sections that are stamped (what a mutation might change)."""
    return {section: copy.deepcopy(data.get(section) or {}) for section in SECTIONS}


def changed_entries(before: dict, after: dict) -> list[Entry]:
    """The entries whose value differs between two documents (added, changed or removed)."""
    out: list[Entry] = []
    for section in SECTIONS:
        old, new = before.get(section) or {}, after.get(section) or {}
        out += [(section, name) for name in old.keys() | new.keys() if old.get(name) != new.get(name)]
    return out


def stamp_of(data: dict, entry: Entry) -> dict | None:
    return (data.get("stamps") or {}).get(entry[0], {}).get(entry[1])


def set_stamp(data: dict, entry: Entry, stamp: dict | None) -> None:
    section = data.setdefault("stamps", {}).setdefault(entry[0], {})
    if stamp is None:
        section.pop(entry[1], None)
    else:
        section[entry[1]] = dict(stamp)


def stamp_changes(data: dict, before: dict, at: float, manual: bool, *, unsynced: bool = False) -> list[Entry]:
    """Stamp every entry that changed since `before` (and mark it unsynced); returns them."""
    changed = changed_entries(before, data)
    for entry in changed:
        set_stamp(data, entry, {"at": at, "manual": manual})
        if unsynced:
            data.setdefault("unsynced", {}).setdefault(entry[0], {})[entry[1]] = at
    return changed


def unsynced_entries(data: dict) -> dict[Entry, float]:
    """The entries changed while Redis was out of reach, with the stamp time each was marked at."""
    marks = data.get("unsynced") or {}
    return {(section, name): at for section in SECTIONS for name, at in (marks.get(section) or {}).items()}


def value_of(data: dict, entry: Entry) -> object:
    return (data.get(entry[0]) or {}).get(entry[1])


def set_value(data: dict, entry: Entry, value: object) -> None:
    section = data.setdefault(entry[0], {})
    if value is None:
        section.pop(entry[1], None)
    else:
        section[entry[1]] = copy.deepcopy(value)


def prune_tombstones(data: dict, now: float) -> None:
    """Drop stamps of entries removed more than TOMBSTONE_DAYS ago (the document must not grow forever)."""
    horizon = now - TOMBSTONE_DAYS * 86400
    for section, stamps in (data.get("stamps") or {}).items():
        values = data.get(section) or {}
        for name in [n for n, s in stamps.items() if n not in values and s.get("at", 0) < horizon]:
            del stamps[name]


def _end(section: str, value: object, at: float) -> float:
    """When an automatic state ends: a cooldown's or a block's `until` (inf for none), else `at`."""
    if not isinstance(value, dict):
        return at
    out = value.get("disabled") if section == "models" else value if section == "providers" else None
    if not isinstance(out, dict) or "until" not in out:
        return at
    until = out.get("until")
    return math.inf if until is None else float(until)


def _manual_disable_running(section: str, value: object, when: float) -> bool:
    """A manual disable (or a provider block) that still held at wall time `when`."""
    if not isinstance(value, dict):
        return False
    out = value.get("disabled") if section == "models" else value if section == "providers" else None
    if not isinstance(out, dict):
        return False
    if section == "models" and out.get("source") != "manual":
        return False
    until = out.get("until")
    return until is None or float(until) > when


def local_wins(entry: Entry, local: object, local_stamp: dict | None, remote: object,
               remote_stamp: dict | None) -> bool:
    """Whether the local value of `entry` should replace the shared one (the rules above)."""
    if local == remote:
        return False
    if remote_stamp is None:
        return True  # the shared side never stamped it: nothing newer to keep
    if local_stamp is None:
        return False
    section = entry[0]
    l_at, r_at = float(local_stamp.get("at", 0)), float(remote_stamp.get("at", 0))
    l_manual, r_manual = bool(local_stamp.get("manual")), bool(remote_stamp.get("manual"))
    if l_manual or r_manual:
        local_later = l_at >= r_at
        later_manual = l_manual if local_later else r_manual
        if later_manual:
            return local_later
        # The later change is automatic: it stands unless it met a running manual disable.
        if local_later:
            return not _manual_disable_running(section, remote, l_at)
        return _manual_disable_running(section, local, r_at)
    if section in ("health", "catalog"):  # observations: the later one wins
        return l_at > r_at
    l_end, r_end = _end(section, local, l_at), _end(section, remote, r_at)
    return l_end > r_end or (l_end == r_end and l_at > r_at)


def merge_into(remote: dict, local: dict, entries: Iterable[Entry]) -> list[Entry]:
    """Lay the local values of `entries` over `remote` where the rules say so; returns those taken."""
    taken: list[Entry] = []
    for entry in entries:
        local_value, local_stamp = value_of(local, entry), stamp_of(local, entry)
        if local_wins(entry, local_value, local_stamp, value_of(remote, entry), stamp_of(remote, entry)):
            set_value(remote, entry, local_value)
            set_stamp(remote, entry, local_stamp)
            taken.append(entry)
    return taken


def all_entries(data: dict) -> list[Entry]:
    """Every entry that has a value or a stamp (what a whole-document merge looks at)."""
    out: set[Entry] = set()
    for section in SECTIONS:
        out.update((section, name) for name in data.get(section) or {})
        out.update((section, name) for name in (data.get("stamps") or {}).get(section) or {})
    return sorted(out)


def offline_change(mutate: Callable[[dict], object], at: float, manual: bool) -> Callable[[dict], object]:
    """`mutate` for the local file while Redis is out of reach: what it changes is stamped and marked
    unsynced (deterministic, so the file store may run it again on a newer document)."""
    def wrapped(data: dict) -> object:
        before = snapshot(data)
        result = mutate(data)
        stamp_changes(data, before, at, manual, unsynced=True)
        return result
    return wrapped


def mirror(doc: dict, cleared: dict[Entry, float]) -> Callable[[dict], None]:
    """A mutation that makes the local file a copy of the shared document `doc`, except the entries
    still unsynced (changed here, not pushed yet); the marks in `cleared` (just pushed) are dropped
    unless they changed since. A file already at `doc`'s revision or later keeps its sections."""
    shared = json.loads(json.dumps({k: doc.get(k) or {} for k in (*SECTIONS, "stamps")}))
    epoch, rev = doc.get("epoch"), int(doc.get("rev", 0))

    def mutate(data: dict) -> None:
        marks = data.get("unsynced") or {}
        for (section, name), at in cleared.items():
            if (marks.get(section) or {}).get(name) == at:
                del marks[section][name]
        if data.get("epoch") == epoch and int(data.get("rev", 0)) >= rev:
            return
        keep = {e: (value_of(data, e), stamp_of(data, e)) for e in unsynced_entries(data)}
        data.update(copy.deepcopy(shared), epoch=epoch, rev=rev)
        for entry, (value, stamp) in keep.items():
            set_value(data, entry, value)
            set_stamp(data, entry, stamp)

    return mutate
