"""The Redis store's listener thread, and where its local file lives.

The listener keeps a `RedisStore` current and brings it back: it waits for change messages
(pub/sub), re-reads the document every `poll_s` as a safety net (a message can be missed while a
connection is re-made, and a stopped server is only noticed by a read that times out), pushes what
other local processes changed while they could not reach Redis, and, while offline, reconnects with
a doubling backoff and pushes what changed meanwhile.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any

from tui.engine.config.state_location import RedisLocation
from tui.engine.state import shared_doc as sd
from tui.engine.state.redis_link import NewerState, Unreachable, reason

log = logging.getLogger("modelfallback.state")

POLL_S = 5.0  # the safety net under pub/sub: re-read the document this often (also notices a hung server)
LISTEN_SLICE_S = 0.25  # how long the listener waits for a message before looking at its other duties
BACKOFF_S = (0.5, 15.0)  # reconnect: first wait, doubling up to the second


def local_fallback_path(location: RedisLocation) -> Path:
    """The local file for a Redis location: in the user state dir, named from nothing secret
    (scheme, host, port, db and prefix; never the user name or password)."""
    from tui.engine.config.paths import user_state_dir

    safe = "-".join(re.sub(r"[^A-Za-z0-9._]", "_", str(part)) for part in
                    ("rediss" if location.tls else "redis", location.host, location.port, f"db{location.db}",
                     location.prefix))
    return user_state_dir() / f"shared-{safe}.json"


def listen(store: Any) -> None:
    """The listener thread's body for a `RedisStore` (not imported: it imports this); runs until the
    store is closed."""
    link, closed = store._link, store._closed
    pubsub = None
    backoff = store._backoff[0]
    next_poll = 0.0
    while not closed.is_set():
        try:
            if not store._online:
                pubsub = _drop(link, pubsub)
                if closed.wait(backoff):
                    break
                with store._io:
                    ok = not closed.is_set() and store._connect_and_push()
                backoff = store._backoff[0] if ok else min(backoff * 2, store._backoff[1])
                continue
            if pubsub is None:
                pubsub = link.subscribe()
                next_poll = 0.0  # read once right after subscribing: nothing is missed in between
            message = pubsub.get_message(timeout=LISTEN_SLICE_S)
            if message is not None and message.get("type") == "message":
                store._receive(link.decode(message["data"]))
            if time.monotonic() >= next_poll:
                next_poll = time.monotonic() + store._poll_s
                store._receive(link.read())
            if store._mirror_due is not None and time.monotonic() >= store._mirror_due:
                store._write_mirror()
            if sd.unsynced_entries(store.local.data):  # this or another local process worked offline
                with store._io:
                    store._connect_and_push()
        except (Unreachable, NewerState, *link.errors) as exc:
            if closed.is_set():
                break
            pubsub = _drop(link, pubsub)
            store._go_offline(exc)
        except Exception as exc:  # noqa: BLE001 - the listener must survive anything; say it
            if closed.is_set():
                break
            log.warning("shared state listener: %s", reason(exc))
            closed.wait(1.0)
    _drop(link, pubsub)


def _drop(link, pubsub) -> None:
    if pubsub is not None:
        try:
            pubsub.close()
        except (*link.errors,):
            pass
    return None
