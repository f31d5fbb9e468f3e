"""The endpoint's routes and its answers' shape: listings, health, names, headers, refusals, waiting."""

from __future__ import annotations

import pytest
from faultserver import Error, FaultServer, Reply, Stream
from serve_kit import chat_body, messages_body, openai_stream_text, served

ROUTES = {"openai": ("/v1/chat/completions", chat_body), "anthropic": ("/v1/messages", messages_body)}


def error_of(route: str, body: dict) -> tuple[str, str]:
    """(type, message) from an error body in the route's own shape."""
    if route == "anthropic":
        assert body["type"] == "error"
    return body["error"]["type"], body["error"]["message"]


async def test_models_lists_groups_then_models(tmp_path, fault_server: FaultServer) -> None:
    async with served(tmp_path, fault_server) as s, s.client() as client:
        r = await client.get("/v1/models")
        ids = [m["id"] for m in r.json()["data"]]
        assert r.json()["object"] == "list"
        assert ids == ["main", "solo", "cross", "bad", "good", "cgood"]


async def test_healthz_names_the_model_that_answers_now(tmp_path, fault_server: FaultServer) -> None:
    async with served(tmp_path, fault_server) as s, s.client() as client:
        assert (await client.get("/healthz")).json()["groups"]["main"]["answering"] == "bad"
        s.engine.disable("bad", 60)
        assert (await client.get("/healthz")).json()["groups"]["main"]["answering"] == "good"
        s.engine.disable("good", 60)
        health = (await client.get("/healthz")).json()
        assert health["status"] == "degraded" and health["groups"]["main"]["answering"] is None
        assert health["groups"]["main"]["first_back"]["model"] in ("bad", "good")


@pytest.mark.parametrize("route", ROUTES)
async def test_unknown_model_is_a_404_listing_the_groups(tmp_path, fault_server: FaultServer, route: str) -> None:
    path, body = ROUTES[route]
    async with served(tmp_path, fault_server) as s, s.client() as client:
        r = await client.post(path, json=body("gpt-nonexistent"))
        kind, message = error_of(route, r.json())
        assert r.status_code == 404 and "main, solo, cross" in message
        assert kind == ("not_found_error" if route == "anthropic" else "invalid_request_error")
        assert not fault_server.requests


@pytest.mark.parametrize("route", ROUTES)
async def test_one_model_alone_keeps_its_breaker(tmp_path, fault_server: FaultServer, route: str) -> None:
    """`model: bad` is that model alone: its failure is not answered by the group's next model."""
    path, body = ROUTES[route]
    fault_server.script("bad", Error(503, "down"))
    fault_server.script("good", Reply("from good"))
    async with served(tmp_path, fault_server) as s, s.client() as client:
        r = await client.post(path, json=body("bad"))
        assert r.status_code in (503, 529) and not fault_server.requests_for("good")
        assert s.engine.availability.of("bad").usable is False  # its breaker tripped
        r = await client.post(path, json=body("good"))
        assert r.status_code == 200 and r.headers["x-modelfallback-model"] == "good"
        assert (r.json().get("model")) == "good"


@pytest.mark.parametrize("route", ROUTES)
async def test_a_disabled_model_is_out_for_the_next_request(tmp_path, fault_server: FaultServer, route: str) -> None:
    path, body = ROUTES[route]
    fault_server.script("bad", Reply("from bad"))
    fault_server.script("good", Reply("from good"))
    async with served(tmp_path, fault_server) as s, s.client() as client:
        assert (await client.post(path, json=body())).headers["x-modelfallback-model"] == "bad"
        s.engine.disable("bad", 60)  # what the TUI's disable does, in the same engine
        r = await client.post(path, json=body())
        assert r.headers["x-modelfallback-model"] == "good"
        assert r.headers["x-modelfallback-attempts"] == "bad=skipped:disabled, good=ok"


@pytest.mark.parametrize("route", ROUTES)
async def test_all_out_gives_retry_after_until_the_first_return(tmp_path, fault_server: FaultServer,
                                                                route: str) -> None:
    path, body = ROUTES[route]
    async with served(tmp_path, fault_server) as s, s.client() as client:
        s.engine.disable("bad", 120)
        s.engine.disable("good", 45)
        r = await client.post(path, json=body())
        assert r.status_code == (529 if route == "anthropic" else 503)
        assert 40 <= int(r.headers["retry-after"]) <= 45
        kind, _ = error_of(route, r.json())
        assert kind == ("overloaded_error" if route == "anthropic" else "service_unavailable")
        assert not fault_server.requests


async def test_all_rate_limited_is_a_429_for_anthropic_clients(tmp_path, fault_server: FaultServer) -> None:
    fault_server.script("bad", Error(429, "slow down", retry_after=30))
    async with served(tmp_path, fault_server) as s, s.client() as client:
        r = await client.post("/v1/messages", json=messages_body("solo"))
        assert r.status_code == 429 and r.json()["error"]["type"] == "rate_limit_error"
        assert int(r.headers["retry-after"]) >= 1


@pytest.mark.parametrize("stream", [True, False])
async def test_serve_wait_waits_for_the_first_model_back(tmp_path, fault_server: FaultServer, stream: bool) -> None:
    """With `serve: {wait: …}` a request that finds every model out waits for the first one back."""
    fault_server.script("good", Stream(tokens=["back ", "again"]) if stream else Reply("back again"))
    async with served(tmp_path, fault_server, extra="serve: {wait: 20s}") as s, s.client() as client:
        s.engine.disable("bad", None)  # until enabled: never waited for
        s.engine.disable("good", 1)  # the shortest disable there is
        r = await client.post("/v1/chat/completions", json=chat_body(stream=stream))
        assert r.status_code == 200
        text = openai_stream_text(r.text)[0] if stream else r.json()["choices"][0]["message"]["content"]
        assert text == "back again"


@pytest.mark.parametrize("route", ROUTES)
async def test_refusals_use_the_clients_shape(tmp_path, fault_server: FaultServer, route: str) -> None:
    path, body = ROUTES[route]
    async with served(tmp_path, fault_server) as s, s.client() as client:
        cases = [
            (await client.get(path), 405),
            (await client.post(path, content=b"{not json"), 400),
            (await client.post(path, content=b"[1, 2]"), 400),
            (await client.post(path, json={**body(), "messages": []}), 400),
            (await client.post(path, json={**body(), "messages": "hi"}), 400),
            (await client.post(path, json={**body(), "stream": "yes"}), 400),
            (await client.post(path, json={k: v for k, v in body().items() if k != "model"}), 400),
            (await client.post(path, json={**body(), "temperature": "hot"}), 400),
        ]
        for response, status in cases:
            assert response.status_code == status, response.text
            kind, message = error_of(route, response.json())
            assert kind == "invalid_request_error" and message
        assert cases[0][0].headers["allow"] == "POST"
        assert not fault_server.requests


async def test_unknown_routes_are_404_and_info_routes_405(tmp_path, fault_server: FaultServer) -> None:
    async with served(tmp_path, fault_server) as s, s.client() as client:
        assert (await client.get("/v1/nothing")).status_code == 404
        assert (await client.post("/v1/models")).status_code == 405
        assert (await client.get("/chat/completions")).status_code == 405  # the path without /v1 is served too


async def test_unknown_fields_pass_through_to_the_same_api(tmp_path, fault_server: FaultServer) -> None:
    fault_server.script("good", Reply("ok"))
    fault_server.script("cgood", Reply("ok"))
    async with served(tmp_path, fault_server) as s, s.client() as client:
        s.engine.disable("bad", 60)
        await client.post("/v1/chat/completions", json=chat_body(response_format={"type": "json_object"}))
        assert fault_server.requests[-1].json["response_format"] == {"type": "json_object"}
        await client.post("/v1/chat/completions", json=chat_body("cross", response_format={"type": "json_object"}))
        assert "response_format" not in fault_server.requests[-1].json  # not an Anthropic field
        await client.post("/v1/messages", json=messages_body("cross", top_k=5, metadata={"user_id": "u1"}))
        assert fault_server.requests[-1].json["top_k"] == 5
        assert fault_server.requests[-1].json["metadata"] == {"user_id": "u1"}


async def test_chats_beyond_the_limit_wait_their_turn(tmp_path, fault_server: FaultServer) -> None:
    """`Limits(chats=1)` (the TUI uses a small limit): a second chat starts upstream only when the first ended."""
    import asyncio

    from tui.engine.serve.app import Limits

    fault_server.script("good", Stream(tokens=10, delay=0.05))
    async with served(tmp_path, fault_server, limits=Limits(chats=1)) as s, s.client() as client:
        first = asyncio.ensure_future(client.post("/v1/chat/completions", json=chat_body("good", stream=True)))
        await asyncio.sleep(0.2)  # the first is streaming
        second = asyncio.ensure_future(client.post("/v1/chat/completions", json=chat_body("good", stream=True)))
        await asyncio.sleep(0.1)
        assert len(fault_server.requests_for("good")) == 1 and not first.done()
        results = await asyncio.gather(first, second)
        assert [openai_stream_text(r.text)[1] for r in results] == [True, True]
        assert len(fault_server.requests_for("good")) == 2


async def test_images_and_system_prompts_cross_apis(tmp_path, fault_server: FaultServer) -> None:
    """An Anthropic request with a system prompt and a base64 image reaches an OpenAI-compatible model as a
    system message and a data: URL, and an OpenAI image URL reaches an Anthropic model as a URL source."""
    fault_server.script("good", Reply("a red dot"))
    fault_server.script("cgood", Reply("a red dot"))
    async with served(tmp_path, fault_server) as s, s.client() as client:
        s.engine.disable("bad", 60)
        image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
        r = await client.post("/v1/messages", json=messages_body(system="Describe images.", messages=[
            {"role": "user", "content": [image, {"type": "text", "text": "what is this?"}]}]))
        assert r.status_code == 200 and r.json()["content"][0]["text"] == "a red dot"
        sent = fault_server.requests[-1].json["messages"]
        assert sent[0] == {"role": "system", "content": "Describe images."}
        assert sent[1]["content"][0]["image_url"]["url"] == "data:image/png;base64,iVBORw0KGgo="
        r = await client.post("/v1/chat/completions", json=chat_body("cross", messages=[
            {"role": "system", "content": "Describe images."},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.test/dot.png"}},
                                         {"type": "text", "text": "what is this?"}]}]))
        assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "a red dot"
        sent_body = fault_server.requests[-1].json
        assert "Describe images." in str(sent_body["system"])
        assert sent_body["messages"][0]["content"][0]["source"] == {"type": "url", "url": "https://example.test/dot.png"}
