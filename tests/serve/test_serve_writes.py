"""The server's write coalescing: what uvicorn writes in one turn of the loop leaves as one write,
in order, and nothing is lost or reordered around a close."""

from __future__ import annotations

import asyncio

from tui.engine.serve.server import CoalescedWrites


class Recorder(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.log: list[object] = []
        self.closing = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.log.append(bytes(data))

    def close(self) -> None:
        self.closing = True
        self.log.append("close")

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 4141) if name == "sockname" else default


async def test_writes_in_one_turn_leave_as_one() -> None:
    raw = Recorder()
    transport = CoalescedWrites(raw, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.writelines([b"{", b"}"])
    assert raw.log == []  # not yet: the turn is not over
    await asyncio.sleep(0)
    assert raw.log == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    transport.write(b"next")
    await asyncio.sleep(0)
    assert raw.log[-1] == b"next"
    assert transport.get_extra_info("sockname") == ("127.0.0.1", 4141)  # the rest is the transport's


async def test_a_close_sends_what_was_written_first_and_a_closed_peer_gets_nothing() -> None:
    raw = Recorder()
    transport = CoalescedWrites(raw, asyncio.get_running_loop())
    transport.write(b"HTTP/1.1 408 Request Timeout\r\n\r\n")
    transport.close()
    assert raw.log == [b"HTTP/1.1 408 Request Timeout\r\n\r\n", "close"]
    transport.write(b"late")
    await asyncio.sleep(0)
    assert raw.log == [b"HTTP/1.1 408 Request Timeout\r\n\r\n", "close"]
