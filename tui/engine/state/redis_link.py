"""The Redis side of the shared state: connections, the atomic update, leases, change messages.

Key layout, for a prefix P (`?prefix=` in the URL, default `modelfallback`):

    P:state        a string: the whole document as JSON (version, epoch, rev, models, providers,
                   health, stamps); small (a row per model), so it is read and written whole
    P:changes      the pub/sub channel: every write publishes the new document in the same MULTI
    P:lease:NAME   one key per lease (JSON {owner, until}) with a Redis expiry (PX)

Why one JSON document under WATCH/MULTI and not one key per model with Lua: changes are Python
callables (`store.update(mutate)`) written by the availability layer, so they cannot run inside a
Lua script; WATCH/MULTI runs them in this process against the latest document and commits only if
nobody wrote in between (else reads and runs them again on a fresh copy: nothing is lost, nothing
is applied twice). The document is a few kilobytes, so reading it whole costs one round trip, and a
single key keeps a change that touches a model and its provider atomic. Publishing the document
inside the same MULTI orders the messages exactly as the writes.

Every call is bounded by the socket timeouts: a stopped Redis raises `Unreachable` after
`timeout_s`, never hangs. redis-py's own retries are off (the store decides when to try again).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
import uuid
from collections.abc import Callable

from tui.engine.config.state_location import RedisLocation
from tui.engine.secrets import redact_known
from tui.engine.state import document
from tui.engine.state.file_store import VERSION, StateFileError, empty_state

log = logging.getLogger("modelfallback.state")

DEFAULT_TIMEOUT_S = 1.0  # every Redis operation: a hung server costs at most this much, once
MAX_TRIES = 500  # WATCH conflicts in a row before the update is given up (each one means another writer won)

# Take or renew a lease: free, expired by the caller's clock, or already ours -> set it with an expiry.
LEASE_SCRIPT = """
local held = redis.call('GET', KEYS[1])
if held then
  local ok, cur = pcall(cjson.decode, held)
  if ok and type(cur) == 'table' and cur['owner'] ~= ARGV[1] and tonumber(cur['until']) > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1
"""


class Unreachable(Exception):
    """Redis could not be used now (refused, timed out, lost, or out of retries); the message has no password."""


class NewerState(Exception):
    """The shared document was written by a newer modelfallback: never overwrite it."""


def missing_extra() -> StateFileError:
    return StateFileError("a redis:// state needs the redis extra: pip install 'modelfallback[redis]'")


def reason(exc: BaseException) -> str:
    """A short reason for `offline`, without the password."""
    text = str(exc).strip() or type(exc).__name__
    return redact_known(f"{text}")[:200]


class RedisLink:
    """One Redis connection pool for a store, and the operations the store needs."""

    def __init__(self, location: RedisLocation, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError:
            raise missing_extra() from None
        if not hasattr(redis, "Redis"):  # a folder named `redis` on the path, not the client
            raise missing_extra()
        self._redis = redis
        self.location = location
        self.warnings: list[str] = []  # entries of the shared document dropped because they do not fit
        self._warned: set[str] = set()
        self.key = f"{location.prefix}:state"
        self.channel = f"{location.prefix}:changes"
        self.client = redis.Redis(
            host=location.host, port=location.port, db=location.db, username=location.username,
            password=location.password, ssl=location.tls, socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s, retry=Retry(NoBackoff(), 0),
            health_check_interval=0, client_name="modelfallback")
        self._lease = self.client.register_script(LEASE_SCRIPT)
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)

    def _unreachable(self, exc: BaseException) -> Unreachable:
        return Unreachable(reason(exc))

    # -- the document ----------------------------------------------------------------------------
    def decode(self, raw: bytes | None) -> dict | None:
        """The document in `raw` (None when there is none); NewerState or ValueError when unusable.
        An entry that does not fit is dropped (`document.clean`), said once in `warnings`."""
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except RecursionError:
            raise ValueError("nested too deeply") from None
        version = data.get("version") if isinstance(data, dict) else None
        if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
            raise NewerState(f"the shared state at {self.location.display} was written by a newer modelfallback "
                             f"(state version {version}; this one reads {VERSION}); it is left untouched")
        why = document.describe_top(data, VERSION)
        if why is not None:
            raise ValueError(why)
        data.setdefault("stamps", {})
        for message in document.summary(document.clean(data), f"shared state {self.location.display}"):
            if message not in self._warned:  # every read meets the same entry until a write drops it
                self._warned.add(message)
                log.info(message)
                self.warnings.append(message)
        return data

    def read(self) -> dict | None:
        """The shared document, or None when Redis holds none."""
        try:
            raw = self.client.get(self.key)
        except self.errors as exc:
            raise self._unreachable(exc) from None
        try:
            return self.decode(raw)
        except ValueError:
            return self._move_aside()

    def _move_aside(self) -> None:
        """An unreadable document is renamed (kept for a look), never silently overwritten."""
        try:
            self.client.rename(self.key, f"{self.key}:corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        except self.errors as exc:
            raise self._unreachable(exc) from None

    def transact(self, apply: Callable[[dict, dict | None], object]) -> tuple[object, dict, bool]:
        """Run `apply(doc, before)` on the latest document and commit it atomically.

        `doc` is a fresh copy of the shared document (a new empty one when there is none), `before`
        another copy of the stored document (compare to tell what `apply` changed), or None.
        Returns (what `apply` returned, the document now in Redis, whether it was written). A WATCH
        conflict runs `apply` again on a fresh copy, so `apply` must depend only on its arguments
        and what it captured.
        """
        redis = self._redis
        for attempt in range(MAX_TRIES):
            try:
                with self.client.pipeline(transaction=True) as pipe:
                    pipe.watch(self.key)
                    raw = pipe.get(self.key)
                    try:
                        before = self.decode(raw)
                    except ValueError:
                        pipe.unwatch()
                        self._move_aside()
                        continue
                    doc = self.decode(raw) if before is not None else new_document()
                    assert doc is not None
                    result = apply(doc, before)
                    base = before if before is not None else new_document(doc.get("epoch"))
                    if _content(doc) == _content(base):
                        pipe.unwatch()
                        return result, before if before is not None else doc, False
                    doc["rev"] = int((before or {}).get("rev", 0)) + 1
                    payload = json.dumps(doc, sort_keys=True, separators=(",", ":"))
                    pipe.multi()
                    pipe.set(self.key, payload)
                    pipe.publish(self.channel, payload)
                    pipe.execute()
                    return result, doc, True
            except redis.WatchError:  # another writer won: back off a little (jittered) and run it again
                time.sleep(random.uniform(0, min(0.0005 * 2 ** attempt, 0.02)))
                continue
            except self.errors as exc:
                raise self._unreachable(exc) from None
        raise Unreachable(f"gave up after {MAX_TRIES} conflicting writes in a row")

    # -- leases ----------------------------------------------------------------------------------
    def take_lease(self, name: str, owner: str, ttl_s: float, now: float) -> bool:
        """One owner per name until `now + ttl_s` (by the caller's clock); the key expires in Redis too."""
        value = json.dumps({"owner": owner, "until": now + ttl_s})
        try:
            taken = self._lease(keys=[f"{self.location.prefix}:lease:{name}"],
                                args=[owner, repr(float(now)), value, max(1, int(ttl_s * 1000))])
        except self.errors as exc:
            raise self._unreachable(exc) from None
        return bool(taken)

    # -- change messages -------------------------------------------------------------------------
    def subscribe(self):
        """A pub/sub connection on the change channel (its own connection, bounded like the rest)."""
        try:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(self.channel)
            return pubsub
        except self.errors as exc:
            raise self._unreachable(exc) from None

    def close(self) -> None:
        with contextlib.suppress(*self.errors):
            self.client.close()


def new_document(epoch: str | None = None) -> dict:
    """An empty shared document; the epoch names this document's history (a reset Redis gets a new one)."""
    doc = empty_state()
    doc.update(stamps={}, rev=0, epoch=epoch or uuid.uuid4().hex)
    return doc


def _content(doc: dict) -> dict:
    """What makes two documents different (not their revision)."""
    return {k: v for k, v in doc.items() if k != "rev"}
