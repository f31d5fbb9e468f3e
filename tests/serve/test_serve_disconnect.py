"""A client that goes away cancels its upstream request at once and blames no model; many such
clients leak no connections, tasks or memory."""

from __future__ import annotations

import asyncio
import gc
import random
from collections import Counter

import httpx
import pytest
from faultserver import FaultServer, Hang, Reply, Stream
from serve_kit import chat_body, messages_body, served

SLOW = Stream(tokens=20, delay=0.05)


def unblamed(engine, model: str) -> bool:
    record = engine.health.records.get(model)
    return engine.availability.of(model).usable and (record is None or all(record.outcomes))


@pytest.mark.parametrize("path,body", [("/v1/chat/completions", chat_body), ("/v1/messages", messages_body)])
async def test_leaving_mid_stream_closes_the_upstream_request(tmp_path, fault_server: FaultServer, path: str,
                                                              body) -> None:
    fault_server.script("bad", SLOW)
    async with served(tmp_path, fault_server, ttft=5) as s, s.client() as client:
        async with client.stream("POST", path, json=body(stream=True)) as response:
            async for _ in response.aiter_bytes():
                break  # the first bytes arrived: the answer is streaming; now go away
        # the upstream stream had a second left; it is closed long before that
        assert await fault_server.wait_connections(0, timeout=0.8)
        for _ in range(50):
            if s.app.traffic.in_flight == 0:
                break
            await asyncio.sleep(0.01)
        record = s.app.traffic.recent[-1]
        assert record.state == "cancelled" and record.status == 499
        assert unblamed(s.engine, "bad")
        assert len(fault_server.requests) == 1  # and nothing was tried on another model


@pytest.mark.parametrize("stream", [True, False])
async def test_leaving_before_the_first_token_closes_the_upstream_request(tmp_path, fault_server: FaultServer,
                                                                          stream: bool) -> None:
    fault_server.script("bad", Hang())
    async with served(tmp_path, fault_server, ttft=5) as s, s.client(timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.post("/v1/chat/completions", json=chat_body(stream=stream))
        assert await fault_server.wait_connections(0, timeout=1.0)  # the upstream budget was 5 s
        assert unblamed(s.engine, "bad") and not fault_server.requests_for("good")


@pytest.mark.slow
async def test_a_thousand_random_disconnects_leak_nothing(tmp_path, fault_server: FaultServer) -> None:
    """1,000 requests, a random half abandoned at a random moment, 25 at a time: afterwards nothing
    is in flight, the server holds no connection or task, the upstream pool is bounded, asyncio's
    task count and traced memory are back where they were, and no model was blamed."""
    fault_server.script("bad", Stream(tokens=6, delay=0.002))  # streamed requests go to the group
    fault_server.script("good", Reply("whole"))  # whole ones to `good` alone
    rng = random.Random(7)
    async with served(tmp_path, fault_server, ttft=5) as s:
        state = s.server.server.server_state
        ended: Counter[str] = Counter()
        s.app.traffic.listeners.append(lambda r: ended.update([r.state]) if r.finished else None)

        async def one(client: httpx.AsyncClient, number: int) -> None:
            path, body = ("/v1/chat/completions", chat_body) if number % 2 else ("/v1/messages", messages_body)
            stream = number % 3 != 0
            payload = body("main" if stream else "good", stream=stream)
            luck = rng.random()
            if luck < 0.5:  # stays to the end
                await client.post(path, json=payload)
            elif luck < 0.75:  # leaves at a random moment, maybe before the server read anything
                task = asyncio.ensure_future(client.post(path, json=payload))
                await asyncio.sleep(rng.uniform(0, 0.03))
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            else:  # leaves once the answer has begun
                async with client.stream("POST", path, json=body("main", stream=True)) as response:
                    async for _ in response.aiter_bytes():
                        break

        async def batch(count: int, start: int) -> None:
            limits = httpx.Limits(max_connections=25)
            async with httpx.AsyncClient(base_url=s.url, timeout=5, limits=limits) as client:
                for group in range(start, start + count, 25):
                    await asyncio.gather(*(one(client, n) for n in range(group, group + 25)))

        async def settled() -> None:
            for _ in range(300):
                if s.app.traffic.in_flight == 0 and not state.tasks and not state.connections:
                    return
                await asyncio.sleep(0.01)

        def live_objects() -> int:
            s.app.traffic.recent.clear()  # the traffic view keeps the last 500 requests by design
            fault_server.requests.clear()  # the fault server records every request
            gc.collect()
            return len(gc.get_objects())

        await batch(200, 0)  # warm up: pools, caches, interned strings
        await settled()
        tasks_before = len(asyncio.all_tasks())
        objects_before = live_objects()
        await batch(800, 200)
        await settled()
        objects_after = live_objects()
        assert s.app.traffic.in_flight == 0 and not state.tasks and not state.connections
        assert len(asyncio.all_tasks()) <= tasks_before
        # a leak of one object per request would show as 800 or more
        assert objects_after - objects_before < 400, f"{objects_after - objects_before} more live objects"
        assert fault_server.open_connections <= 25  # the engine's keep-alive pool, no more
        # a client that left before its body was read never became a served request
        assert 500 <= s.app.traffic.today == sum(ended.values()) <= 1000
        assert set(ended) <= {"done", "cancelled"} and ended["cancelled"] > 100, ended
        assert unblamed(s.engine, "bad") and unblamed(s.engine, "good")
