"""Security of the endpoint: the token, keys that never travel, body limits, slow clients, fuzzing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx

import pytest
from faultserver import Error, FaultServer, Reply
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serve_kit import CLIENT_KEY, KEY, TOKEN, chat_body, messages_body, served

from tui.cli import main
from tui.engine.serve.app import Limits
from tui.engine.serve.server import ServeError, server_token
from tui.wording.served import served_line


@pytest.mark.parametrize("path,body", [("/v1/chat/completions", chat_body), ("/v1/messages", messages_body)])
async def test_token_is_required_when_set(tmp_path, fault_server: FaultServer, path: str, body) -> None:
    fault_server.script("bad", Reply("hello"))
    async with served(tmp_path, fault_server, token=TOKEN) as s, s.client() as client:
        assert (await client.post(path, json=body())).status_code == 401
        assert (await client.post(path, json=body(), headers={"authorization": "Bearer nope"})).status_code == 401
        assert (await client.get("/v1/models")).status_code == 401
        ok = await client.post(path, json=body(), headers={"authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        assert (await client.post(path, json=body(), headers={"x-api-key": TOKEN})).status_code == 200
        for request in fault_server.requests:  # the client's token stayed here
            assert TOKEN not in json.dumps(request.headers) + request.body.decode()


@pytest.mark.parametrize("path,body", [("/v1/chat/completions", chat_body), ("/v1/messages", messages_body)])
async def test_the_clients_key_never_goes_upstream(tmp_path, fault_server: FaultServer, path: str, body) -> None:
    fault_server.script("bad", Reply("hello"))
    async with served(tmp_path, fault_server) as s, s.client() as client:
        r = await client.post(path, json=body(), headers={"authorization": f"Bearer {CLIENT_KEY}",
                                                          "x-api-key": CLIENT_KEY})
        assert r.status_code == 200
        sent = fault_server.requests[-1]
        assert CLIENT_KEY not in json.dumps(sent.headers) + sent.body.decode()
        assert KEY in sent.headers["authorization"]  # the provider's own key went instead


@pytest.mark.parametrize("stream", [True, False])
async def test_provider_keys_never_reach_a_client_or_a_log(tmp_path, fault_server: FaultServer, stream: bool) -> None:
    """An upstream that echoes the key in its errors: the key appears in no response, header or log line."""
    fault_server.script("bad", Error(500, f"invalid request with key {KEY}"))
    fault_server.script("good", Error(401, f"Incorrect API key provided: {KEY}"))
    async with served(tmp_path, fault_server) as s, s.client() as client:
        for path, body in (("/v1/chat/completions", chat_body), ("/v1/messages", messages_body)):
            r = await client.post(path, json=body(stream=stream))
            assert r.status_code >= 500
            assert KEY not in r.text and KEY not in str(r.headers)
        for record in s.app.traffic.recent:
            assert KEY not in served_line(record) and KEY not in repr(record)


def test_a_public_address_needs_a_token(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(ServeError, match="without a token"):
        server_token("0.0.0.0", None, {})
    assert server_token("127.0.0.1", None, {}) is None
    env = {"MF_TEST_TOKEN": "secret-token-1"}
    assert server_token("0.0.0.0", "MF_TEST_TOKEN", env) == "secret-token-1"
    with pytest.raises(ServeError, match="not set"):
        server_token("0.0.0.0", "MF_TEST_TOKEN_MISSING", env)
    assert main(["--demo", "serve", "--listen", "0.0.0.0:0"]) == 2
    err = capsys.readouterr().err
    assert "without a token" in err and err.count("\n") == 1 and "Traceback" not in err


async def test_bodies_over_the_limit_are_413(tmp_path, fault_server: FaultServer) -> None:
    async with served(tmp_path, fault_server, limits=Limits(body_bytes=4096)) as s, s.client() as client:
        big = chat_body(messages=[{"role": "user", "content": "x" * 5000}])
        r = await client.post("/v1/chat/completions", json=big)
        assert r.status_code == 413 and r.json()["error"]["message"].startswith("request body over")

        async def chunks():  # no Content-Length: the limit holds while reading
            for _ in range(10):
                yield b" " * 1000

        r = await client.post("/v1/messages", content=chunks())
        assert r.status_code == 413 and r.json()["error"]["type"] == "request_too_large"
        assert not fault_server.requests


async def _read_all(reader: asyncio.StreamReader) -> bytes:
    data = b""
    while chunk := await reader.read(4096):
        data += chunk
    return data


async def test_slow_loris_headers_are_cut_off(tmp_path, fault_server: FaultServer) -> None:
    """A client that dribbles its headers is answered 408 and closed; others are served meanwhile."""
    fault_server.script("bad", Reply("hello"))
    async with served(tmp_path, fault_server, header_timeout=0.3) as s:
        reader, writer = await asyncio.open_connection(s.server.host, s.server.port)
        writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")

        async def dribble() -> None:
            for _ in range(100):
                writer.write(b"X-Slow: y\r\n")
                await asyncio.sleep(0.05)

        dribbling = asyncio.get_running_loop().create_task(dribble())
        async with s.client() as client:  # someone else is served while the slow client dribbles
            assert (await client.post("/v1/chat/completions", json=chat_body())).status_code == 200
        answer = await asyncio.wait_for(_read_all(reader), 5)
        dribbling.cancel()
        assert answer.startswith(b"HTTP/1.1 408")
        writer.close()


async def test_an_idle_connection_that_never_speaks_is_closed(tmp_path, fault_server: FaultServer) -> None:
    async with served(tmp_path, fault_server, header_timeout=0.3) as s:
        reader, writer = await asyncio.open_connection(s.server.host, s.server.port)
        assert (await asyncio.wait_for(_read_all(reader), 5)).startswith(b"HTTP/1.1 408")
        writer.close()


async def test_a_slow_body_is_408(tmp_path, fault_server: FaultServer) -> None:
    async with served(tmp_path, fault_server, limits=Limits(body_timeout=0.3)) as s:
        reader, writer = await asyncio.open_connection(s.server.host, s.server.port)
        writer.write(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 500\r\n\r\n{\"model\": ")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 408")
        writer.close()
        assert not fault_server.requests


JSONS = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                  max_size=4), max_leaves=12)
MESSAGE = st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", "tool", "x", 3]),
                                 "content": JSONS})
FIELDS = st.dictionaries(st.sampled_from(["model", "messages", "stream", "max_tokens", "tools", "tool_choice",
                                          "temperature", "stop", "system", "stream_options", "n", "extra"]),
                         JSONS | st.lists(MESSAGE, max_size=3) | st.sampled_from(["main", "good", "cross"]),
                         max_size=6)


@pytest.fixture
async def fuzz_client(tmp_path, fault_server: FaultServer) -> AsyncIterator[httpx.AsyncClient]:
    """One endpoint and one client for every example of a fuzz run (examples share the test's fixtures)."""
    for model in ("bad", "good", "cgood"):
        fault_server.script(model, Reply("hello"))
    async with served(tmp_path, fault_server) as s, s.client() as client:
        yield client


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/v1/chat/completions", "/v1/messages"]), base=st.booleans(), fields=FIELDS)
async def test_fuzzed_bodies_get_an_answer_or_a_clean_error(fuzz_client: httpx.AsyncClient, path: str,
                                                            base: bool, fields: dict) -> None:
    """Whatever the body, the answer is a status with a body in the client's shape: never a 500."""
    body = {**(chat_body() if path.endswith("completions") else messages_body()), **fields} if base else fields
    r = await fuzz_client.post(path, content=json.dumps(body).encode())
    assert r.status_code in (200, 400, 404, 503, 529), r.text
    if r.status_code == 200:
        return
    error = r.json()
    if path == "/v1/messages":
        assert error["type"] == "error" and error["error"]["message"]
    else:
        assert error["error"]["message"] and error["error"]["type"]


async def test_a_forwarded_for_header_never_names_the_client(tmp_path, fault_server: FaultServer) -> None:
    """Nothing stands in front of the endpoint, so the client shown is the socket's peer: a local
    program cannot put another address in the traffic view or the log with X-Forwarded-For."""
    fault_server.script("bad", Reply("hello"))
    async with served(tmp_path, fault_server) as s, s.client() as client:
        del client.headers["user-agent"]  # without one, the peer's address names the client
        r = await client.post("/v1/chat/completions", json=chat_body(),
                              headers={"x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https"})
        assert r.status_code == 200
        [record] = s.app.traffic.recent
        assert record.client.startswith("127.0.0.1:") and "203.0.113.9" not in served_line(record)
