"""ProviderClient against the loopback fault server: error statuses, in-stream error chunks and redirects,
and the failure kind each is classified as."""

from __future__ import annotations

import time

import pytest
from faultserver import FaultServer, Json, Redirect, Stream, error_json
from loopback import KEY, fails

from tui.engine.failures import FailureKind as K
from tui.engine.provider.client import ProviderClient


# -- error statuses ---------------------------------------------------------------------------

@pytest.mark.parametrize(("behaviour", "kind"), [
    (error_json(429, "Rate limit exceeded", headers={"Retry-After": "2"}), K.RATE_LIMITED),
    (error_json(503, "No endpoints found that support the requested parameters"), K.UNAVAILABLE),
    (error_json(500, "Internal Server Error"), K.SERVER_ERROR),
    (error_json(401, "No auth credentials found"), K.AUTH),
    (Json(404, {"error": "model 'llama9' not found"}), K.NOT_FOUND),
    (error_json(402, "Insufficient credits"), K.QUOTA),
    (error_json(400, "This model's maximum context length is 8192 tokens", code="context_length_exceeded",
                type="invalid_request_error"), K.CONTEXT_LENGTH),
    (error_json(403, "flagged", metadata={"reasons": ["violence"], "flagged_input": "x"}), K.CONTENT_POLICY),
    (Json(200, {"error": {"code": 502, "message": "Provider returned error"}}), K.UNAVAILABLE),
    (Json(200, "not json at all", content_type="application/json"), K.PROTOCOL),
    (Json(200, {"id": "x", "choices": []}), K.PROTOCOL),
    (Json(200, {"choices": [{"message": {"role": "assistant", "content": ""}, "finish_reason": "stop"}]}),
     K.PROTOCOL),
    (Json(502, "<html><title>502 Bad Gateway</title></html>", content_type="text/html"), K.UNAVAILABLE),
])
@pytest.mark.parametrize("stream", [True, False])
async def test_error_responses(client: ProviderClient, fault_server: FaultServer, behaviour: Json, kind: K,
                               stream: bool) -> None:
    error = await fails(client, fault_server, behaviour, stream=stream)
    assert error.failure.kind is kind, error.failure
    assert error.partial == ""


async def test_retry_after_is_carried(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, error_json(429, "slow down", headers={"Retry-After": "2"}))
    assert (error.failure.status, error.failure.retry_after_s) == (429, 2.0)


async def test_key_echoed_in_error_is_redacted(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, error_json(401, f"Invalid API key: {KEY} (header: Bearer {KEY})"))
    assert error.failure.kind is K.AUTH and "***" in error.failure.detail


# -- in-stream errors -------------------------------------------------------------------------

async def test_openrouter_error_chunk_after_content(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Stream(tokens=5, error_after=2), within=0.5)
    assert error.failure.kind is K.INTERRUPTED and error.partial == "tok0 tok1 "
    assert "unavailable" in error.failure.detail


async def test_error_chunk_as_first_and_only_event(client: ProviderClient, fault_server: FaultServer) -> None:
    behaviour = Stream(role_chunk=False, error_after=0, error={
        "code": 429, "message": "Rate limit exceeded: free-models-per-day",
        "metadata": {"headers": {"X-RateLimit-Reset": str(int((time.time() + 3600) * 1000))}}})
    error = await fails(client, fault_server, behaviour, within=0.5)
    assert error.failure.kind is K.QUOTA and error.failure.reset_at is not None


async def test_error_chunk_before_content_classified_by_code(client: ProviderClient,
                                                             fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Stream(error_after=0, error={"code": 503, "message": "down"}))
    assert error.failure.kind is K.UNAVAILABLE and error.partial == ""


async def test_litellm_error_then_done_is_never_a_done(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Stream(tokens=4, error_after=3, error_style="litellm", error={
        "message": "litellm.APIConnectionError: upstream reset", "type": "internal_server_error", "code": "500"}))
    assert error.failure.kind is K.INTERRUPTED and error.partial == "tok0 tok1 tok2 "


async def test_anthropic_style_error_event(client: ProviderClient, fault_server: FaultServer) -> None:
    error = await fails(client, fault_server, Stream(error_after=0, error_style="anthropic",
                                                     error={"type": "overloaded_error", "message": "Overloaded"}))
    assert error.failure.kind is K.UNAVAILABLE


@pytest.mark.parametrize(("bad_after", "kind", "partial"), [(0, K.PROTOCOL, ""), (2, K.INTERRUPTED, "tok0 tok1 ")])
async def test_three_malformed_lines_end_the_stream(client: ProviderClient, fault_server: FaultServer,
                                                   bad_after: int, kind: K, partial: str) -> None:
    error = await fails(client, fault_server, Stream(tokens=4, bad_after=bad_after, bad_lines=3), within=0.5)
    assert error.failure.kind is kind and error.partial == partial


# -- redirects and aborts -----------------------------------------------------------------------

async def test_redirect_is_not_followed(client: ProviderClient, fault_server: FaultServer) -> None:
    async with FaultServer() as elsewhere:
        elsewhere.script("m", Stream())
        error = await fails(client, fault_server, Redirect(location=elsewhere.base_url + "/chat/completions"))
        assert error.failure.kind is K.PROTOCOL and error.failure.status == 302
        assert elsewhere.requests == []
