"""The shared state: the file is writable and lockable, or Redis answers (round trip, pub/sub)
and its clock (`TIME`) agrees with ours.

The file is checked the way every process uses it: a recheck lease taken under the file lock (a
locked read-modify-write and an atomic replace), named `doctor:…`, lasting a second. Redis is
checked on a connection of its own (`RedisLink`, the store's link): PING, TIME, and a message
published on a channel of its own and received back. Both run in a daemon thread bounded by
`health.timeout`: a lock held forever or a Redis that hangs is a ✗, never a doctor that hangs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from tui.engine.doctor.clock_skew import clock_check
from tui.engine.state import file_lock
from tui.engine.doctor.context import Context
from tui.engine.doctor.result import Check, fail, ok, skip, warn
from tui.engine.text import printable

if TYPE_CHECKING:
    from tui.engine.state.redis_link import RedisLink

T = TypeVar("T")
LEASE_S = 1.0
REDIS_FIX = "check that Redis runs and the URL, password and network are right (redis-cli -u URL ping)"


async def in_thread(work: Callable[[], T], timeout: float) -> T:
    """`work()` in a daemon thread, awaited at most `timeout` (TimeoutError); a thread stuck on a
    lock or a socket is left behind, and never keeps the process from exiting."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def run() -> None:
        def settle(result: object = None, error: BaseException | None = None) -> None:
            if future.done():
                return  # the waiter gave up (timed out or cancelled)
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)  # type: ignore[arg-type]

        try:
            outcome: tuple[object, BaseException | None] = (work(), None)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task as is
            outcome = (None, exc)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name="modelfallback-doctor", daemon=True).start()
    async with asyncio.timeout(timeout):
        return await future


async def state_checks(ctx: Context) -> list[Check]:
    store = ctx.engine.store
    offline = store.offline
    # a Redis store that could not connect says so in a warning of its own: the redis check below
    # is that finding (with its fix), so one unreachable Redis is one ✗, not three lines
    told = [w for w in store.warnings if not (offline and offline in w)]
    checks = [warn("state", "", "state warning", printable(w), "read the warning: the state named was moved aside "
                   "or is read-only here") for w in told]
    located = ctx.engine.located[1].where if ctx.engine.located else None
    if store.location.startswith(("redis://", "rediss://")):
        if not isinstance(located, str):  # no URL to check on a connection of our own: the store's word
            if offline:
                checks.append(fail("state", "", "shared state", f"{store.location} offline ({printable(offline)}); "
                                   "working on a local copy", REDIS_FIX))
            return checks
        found = await _redis(ctx, located)
        if offline and found[0].status != "ok":
            found[0] = replace(found[0], detail=f"{found[0].detail} · meanwhile this machine works on a local copy")
        elif offline:
            checks.append(warn("state", "", "shared state", f"{store.location} was offline at start "
                               f"({printable(offline)}) and answers now", "nothing to do if it stays up: every "
                               "process reconnects by itself and pushes what it changed meanwhile"))
        return checks + found
    if store.location == "memory":
        return [*checks, skip("state", "", "state file", "kept in memory: nothing shared with other processes")]
    return [*checks, await _file(ctx)]


async def _file(ctx: Context) -> Check:
    store, clock = ctx.engine.store, ctx.engine.clock
    owner = f"doctor:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    begin = clock.monotonic()
    try:
        taken = await in_thread(lambda: store.take_lease(owner, owner, LEASE_S, clock.wall()), ctx.timeout)
    except TimeoutError:
        return fail("state", "", "state file", f"{store.location}: its lock was not free within {ctx.timeout:g}s",
                    f"another process holds {store.location}.lock, and every modelfallback command stops after "
                    f"waiting {file_lock.LOCK_WAIT_S:g}s for it: "
                    "look for a stuck one (fuser -v names it), or a network file system without locks")
    except OSError as exc:
        return fail("state", "", "state file", printable(str(exc)),
                    "name a folder this user can write with --state or $MODELFALLBACK_STATE, or fix its permissions")
    ms = (clock.monotonic() - begin) * 1000
    newer = getattr(store, "newer_file", None)
    if newer:
        return warn("state", "", "state file", printable(newer), "upgrade modelfallback: this version only reads it")
    if not taken:
        return warn("state", "", "state file", f"{store.location}: locked and read, but the test lease was taken",
                    "run doctor again")
    return ok("state", "", "state file", f"{store.location}: locked and written in {ms:.0f} ms")


async def _redis(ctx: Context, url: str) -> list[Check]:
    from tui.engine.config.state_location import parse_redis_url
    from tui.engine.state.redis_link import RedisLink

    try:
        link = RedisLink(parse_redis_url(url), ctx.timeout)
    except (ValueError, OSError) as exc:
        return [fail("state", "", "redis", printable(str(exc)), REDIS_FIX)]
    where = link.location.display
    try:
        rtt_ms, offset, error, pubsub_ok = await in_thread(lambda: _redis_round(link, ctx), ctx.timeout + 0.5)
    except TimeoutError:
        return [fail("state", "", "redis", f"{where}: no answer within {ctx.timeout:g}s", REDIS_FIX)]
    except Exception as exc:  # noqa: BLE001 - any client error is "unreachable", said without the password
        from tui.engine.state.redis_link import reason

        return [fail("state", "", "redis", f"{where}: {reason(exc)}", REDIS_FIX)]
    finally:
        threading.Thread(target=link.close, daemon=True).start()
    checks = [ok("state", "", "redis", f"{where}: round trip {rtt_ms:.1f} ms")]
    checks.append(ok("state", "", "pub/sub", "a change message came back") if pubsub_ok else
                  fail("state", "", "pub/sub", f"a message published on {where} did not come back within "
                       f"{ctx.timeout:g}s", "other machines would see changes only by the slow poll: check that "
                       "pub/sub is allowed (a proxy or ACL may block SUBSCRIBE)"))
    checks.append(clock_check("state", "", "clock", offset, error, "Redis TIME"))
    return checks


def _redis_round(link: RedisLink, ctx: Context) -> tuple[float, float, float, bool]:
    """PING (round trip), TIME (clock), then a message published and received on a channel of our own."""
    clock, client = ctx.engine.clock, link.client
    begin = clock.monotonic()
    client.ping()
    rtt_ms = (clock.monotonic() - begin) * 1000
    sent = clock.wall()
    seconds, micros = client.time()
    received = clock.wall()
    offset = seconds + micros / 1e6 - (sent + received) / 2
    channel = f"{link.location.prefix}:doctor:{uuid.uuid4().hex}"
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    try:
        pubsub.subscribe(channel)
        client.publish(channel, "doctor")
        deadline = time.monotonic() + ctx.timeout
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=min(0.1, max(0.0, deadline - time.monotonic())))
            if message is not None and message.get("type") == "message":
                return rtt_ms, offset, (received - sent) / 2, True
        return rtt_ms, offset, (received - sent) / 2, False
    finally:
        pubsub.close()
