"""The official `google-genai` SDK parses what the fault server sends on Gemini's wire.

generateContent and streamGenerateContent?alt=sse (text, thought parts, function calls, finish
reason, usageMetadata), Google's error body (the SDK's ClientError / ServerError with the status
and the RetryInfo detail), an error inside the stream after content, and the paged listing.
"""

from __future__ import annotations

import pytest
from faultserver import GEMINI, FaultServer, Listing, Stream, completion, error_json
from google.genai import errors
from sdk_witness import KEY, TIME, WEATHER, gemini_client


def _parts(response) -> list:
    return response.candidates[0].content.parts if response.candidates and response.candidates[0].content else []


async def test_gemini_plain_answer_with_usage(fault_server: FaultServer) -> None:
    fault_server.script("gemini-x", completion("Hello there."))
    async with gemini_client(fault_server) as client:
        response = await client.models.generate_content(model="gemini-x", contents="Weather in Paris?")
    assert response.text == "Hello there."
    assert response.candidates[0].finish_reason == "STOP"
    assert (response.usage_metadata.prompt_token_count, response.usage_metadata.candidates_token_count) == (5, 3)
    [request] = fault_server.requests
    assert (request.route, request.api, request.model, request.stream) == (
        "/v1beta/models/gemini-x:generateContent", GEMINI, "gemini-x", False)
    assert request.headers["x-goog-api-key"] == KEY and "authorization" not in request.headers


async def test_gemini_stream_text_thoughts_and_parallel_calls(fault_server: FaultServer) -> None:
    fault_server.script("gemini-x", Stream(tokens=["Check", "ing."], reasoning=["Thinking."],
                                           tool_calls=[WEATHER, TIME]))
    async with gemini_client(fault_server) as client:
        chunks = [c async for c in await client.models.generate_content_stream(model="gemini-x", contents="hi")]
    parts = [part for chunk in chunks for part in _parts(chunk)]
    assert [(p.text, bool(p.thought)) for p in parts if p.text] == [("Thinking.", True), ("Check", False),
                                                                    ("ing.", False)]
    assert [(p.function_call.name, p.function_call.args) for p in parts if p.function_call] == [
        ("get_weather", WEATHER["arguments"]), ("get_time", TIME["arguments"])]
    assert chunks[-1].candidates[0].finish_reason == "STOP"
    assert chunks[-1].usage_metadata.candidates_token_count == 2
    [request] = fault_server.requests
    assert request.path == "/v1beta/models/gemini-x:streamGenerateContent?alt=sse" and request.stream


async def test_gemini_plain_function_call(fault_server: FaultServer) -> None:
    fault_server.script("gemini-x", completion("", tool_calls=[WEATHER]))
    async with gemini_client(fault_server) as client:
        response = await client.models.generate_content(model="gemini-x", contents="hi")
    assert [(c.name, c.args) for c in response.function_calls] == [("get_weather", WEATHER["arguments"])]


async def test_gemini_safety_finish_reason(fault_server: FaultServer) -> None:
    fault_server.script("gemini-x", Stream(tokens=["Par"], finish_reason="content_filter"))
    async with gemini_client(fault_server) as client:
        chunks = [c async for c in await client.models.generate_content_stream(model="gemini-x", contents="hi")]
    assert chunks[-1].candidates[0].finish_reason == "SAFETY"


@pytest.mark.parametrize(("status", "exc", "grpc"), [
    (429, errors.ClientError, "RESOURCE_EXHAUSTED"), (400, errors.ClientError, "INVALID_ARGUMENT"),
    (403, errors.ClientError, "PERMISSION_DENIED"), (404, errors.ClientError, "NOT_FOUND"),
    (500, errors.ServerError, "INTERNAL"), (503, errors.ServerError, "UNAVAILABLE"),
    (504, errors.ServerError, "DEADLINE_EXCEEDED")])
async def test_gemini_error_status_raises_the_sdk_class(fault_server: FaultServer, status: int, exc: type,
                                                        grpc: str) -> None:
    fault_server.script("gemini-x", error_json(status, "scripted failure", headers={"Retry-After": "33"},
                                               quota_id="GenerateRequestsPerDayPerProjectPerModel"))
    async with gemini_client(fault_server) as client:
        with pytest.raises(exc) as raised:
            await client.models.generate_content(model="gemini-x", contents="hi")
    assert (raised.value.code, raised.value.status) == (status, grpc)
    details = raised.value.details["error"]["details"]
    assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "33s"} in details
    assert any(d.get("violations", [{}])[0].get("quotaId") == "GenerateRequestsPerDayPerProjectPerModel"
               for d in details)
    assert raised.value.response.headers.get("retry-after") is None  # Google says it in the body only


async def test_gemini_api_key_invalid_is_a_400_with_its_reason(fault_server: FaultServer) -> None:
    fault_server.script("gemini-x", error_json(400, "API key not valid. Please pass a valid API key.",
                                               reason="API_KEY_INVALID"))
    async with gemini_client(fault_server) as client:
        with pytest.raises(errors.ClientError) as raised:
            await client.models.generate_content(model="gemini-x", contents="hi")
    assert raised.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"


async def test_gemini_error_after_content(fault_server: FaultServer) -> None:
    fault_server.script("gemini-x", Stream(tokens=["one ", "two "], error_after=2,
                                           error={"code": 503, "message": "overloaded"}))
    seen = []
    async with gemini_client(fault_server) as client:
        with pytest.raises(errors.ServerError) as raised:
            async for chunk in await client.models.generate_content_stream(model="gemini-x", contents="hi"):
                seen.append(chunk.text)
    assert seen == ["one ", "two "]
    assert (raised.value.code, raised.value.status) == (503, "UNAVAILABLE")


async def test_gemini_listing_is_paged(fault_server: FaultServer) -> None:
    models = {"gemini-a": 1_048_576, "gemini-b": 1_048_576, "gemini-c": 32_768}
    fault_server.script("/v1beta/models", Listing(models, page_size=2))
    async with gemini_client(fault_server) as client:
        pager = await client.models.list(config={"page_size": 50})
        listed = [(m.name, m.input_token_limit) async for m in pager]
    assert listed == [(f"models/{m}", n) for m, n in models.items()]
    assert [r.path for r in fault_server.requests_for("/v1beta/models")] == [
        "/v1beta/models?pageSize=50", "/v1beta/models?pageSize=50&pageToken=2"]
