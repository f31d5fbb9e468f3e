"""A deadline around each read of one stream, with one timer per stream (the client's hot loop)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class ReadDeadline:
    """Bounds each read of one stream by a deadline (loop time), with one timer per stream.

    `asyncio.timeout_at` around every read schedules and cancels a timer per network chunk, which
    was the largest part of the client's overhead on a fast stream; and the deadline moves with
    every token. Here the timer is armed once and only re-armed when it fires early (the deadline
    moved later meanwhile) or the deadline moves earlier. It cancels the task only while a read
    is waiting, so the consumer's code between reads is never interrupted, and like
    `asyncio.timeout` it turns its own cancellation into TimeoutError (a cancel from outside, such
    as the user's Esc, stays a CancelledError).
    """

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._owner = asyncio.current_task()  # the task reading this stream (one per stream)
        self._task: asyncio.Task | None = None  # the owner, while a read is waiting
        self._deadline = float("inf")
        self._timer: asyncio.TimerHandle | None = None
        self._fired = False

    async def next(self, chunks: AsyncIterator[bytes], deadline: float) -> bytes | None:
        """`anext(chunks, None)`, or TimeoutError once `deadline` passes.

        `__anext__()` and StopAsyncIteration rather than `anext(chunks, None)`: the same result
        without the wrapper object `anext` makes for its default on every read. `_arm` inlined:
        this runs once per network chunk."""
        if self._loop.time() >= deadline:
            raise TimeoutError
        self._deadline = deadline
        if self._timer is None or self._timer.when() > deadline:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._loop.call_at(deadline, self._expire)
        self._task = self._owner
        try:
            return await chunks.__anext__()
        except StopAsyncIteration:
            return None
        except asyncio.CancelledError:
            self._timed_out()
            raise
        finally:
            self._task = None

    async def wait(self, awaitable: Coroutine[Any, Any, T], deadline: float) -> T:
        """`await awaitable`, or TimeoutError once `deadline` passes: the request's send, so that
        the timer armed for it (at the first-token deadline) goes on serving the first read."""
        try:
            self._arm(deadline)
        except TimeoutError:
            awaitable.close()
            raise
        self._task = self._owner
        try:
            return await awaitable
        except asyncio.CancelledError:
            self._timed_out()
            raise
        finally:
            self._task = None

    def _arm(self, deadline: float) -> None:
        """Raise TimeoutError if `deadline` has passed; else make sure the timer fires by then."""
        if self._loop.time() >= deadline:
            raise TimeoutError
        self._deadline = deadline
        if self._timer is None or self._timer.when() > deadline:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._loop.call_at(deadline, self._expire)

    def _timed_out(self) -> None:
        """In a CancelledError: TimeoutError if it was our own cancel (the deadline passed during
        the wait), else nothing (the caller re-raises the cancel from outside)."""
        if self._fired and self._task is not None and self._task.uncancel() == 0:
            raise TimeoutError from None

    def _expire(self) -> None:
        self._timer = None
        if self._task is None:
            return  # between reads: the next read re-arms
        if self._loop.time() < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._expire)  # the deadline moved later
        elif not self._fired:
            self._fired = True
            self._task.cancel()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
