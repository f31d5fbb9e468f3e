"""Failure classification, one or more cases per row of docs/architecture.md §4, with real provider shapes."""

from __future__ import annotations

import asyncio
import json
from email.utils import format_datetime
from datetime import datetime, UTC

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.engine.provider.classify import classify_error_object, classify_response, parse_retry_after
from tui.engine.provider.transport_errors import classify_exception
from tui.engine.failures import FailureKind as K
from tui.engine.secrets import redact, redact_known, register_secret

NOW = 1_800_000_000.0


def err(message: str, **fields: object) -> dict:
    return {"error": {"message": message, **fields}}


# -- rate_limited ------------------------------------------------------------------------------

def test_openai_rate_limit_429_with_retry_after() -> None:
    body = err("Rate limit reached for gpt-4 on requests per min (RPM): Limit 3, Used 3.",
               type="requests", param=None, code="rate_limit_exceeded")
    f = classify_response(429, {"retry-after": "3", "x-request-id": "r"}, json.dumps(body).encode(), NOW)
    assert (f.kind, f.status, f.retry_after_s, f.reset_at) == (K.RATE_LIMITED, 429, 3.0, None)


def test_anthropic_rate_limit_error() -> None:
    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "Number of request tokens has "
                                       "exceeded your per-minute rate limit"}}
    f = classify_response(429, {"retry-after": "12"}, body, NOW)
    assert (f.kind, f.retry_after_s, f.code) == (K.RATE_LIMITED, 12.0, "rate_limit_error")


def test_litellm_proxy_throttling_with_prefixed_retry_after() -> None:
    body = err("litellm.RateLimitError: RateLimitError: OpenAIException - slow down", type="throttling_error",
               param=None, code="429")
    f = classify_response(429, {"llm_provider-retry-after": "2", "x-litellm-attempted-retries": "0"}, body, NOW)
    assert (f.kind, f.retry_after_s) == (K.RATE_LIMITED, 2.0)


def test_openrouter_in_stream_429_before_content() -> None:
    f = classify_error_object({"code": 429, "message": "Rate limit exceeded"}, 200, {"Retry-After": "4"}, NOW,
                              after_content=False)
    assert (f.kind, f.status, f.retry_after_s) == (K.RATE_LIMITED, 429, 4.0)


# -- quota -------------------------------------------------------------------------------------

def test_openai_insufficient_quota_429_is_quota_not_rate_limit() -> None:
    body = err("You exceeded your current quota, please check your plan and billing details.",
               type="insufficient_quota", param=None, code="insufficient_quota")
    f = classify_response(429, {}, body, NOW)
    assert (f.kind, f.code) == (K.QUOTA, "insufficient_quota")
    assert f.reset_at is None and f.retry_after_s is None  # until enabled


@pytest.mark.parametrize("code", ["credit_balance_exhausted", "organization_spend_limit_exceeded",
                                  "project_spend_limit_exceeded", "organization_usage_limit_exceeded"])
def test_openai_quota_codes(code: str) -> None:
    assert classify_response(429, {}, err("limit", type="insufficient_quota", code=code), NOW).kind is K.QUOTA


def test_openrouter_free_models_per_day_uses_reset_header_from_metadata() -> None:
    reset_ms = int((NOW + 7200) * 1000)
    body = err("Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day",
               code=429, metadata={"headers": {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "0",
                                               "X-RateLimit-Reset": str(reset_ms)}})
    f = classify_response(429, {}, body, NOW)
    assert f.kind is K.QUOTA
    assert f.reset_at == pytest.approx(NOW + 7200)


def test_openrouter_402_insufficient_credits() -> None:
    f = classify_response(402, {}, err("Insufficient credits. Add more using https://openrouter.ai/credits",
                                       code=402), NOW)
    assert (f.kind, f.status) == (K.QUOTA, 402)


def test_openrouter_402_in_flight_budget_with_retry_after_is_a_timed_quota() -> None:
    body = err("budget", code=402, metadata={"limit_source": "openrouter_in_flight_budget"})
    f = classify_response(402, {"Retry-After": "30"}, body, NOW)
    assert (f.kind, f.retry_after_s) == (K.QUOTA, 30.0)


def test_anthropic_enforced_spend_limit() -> None:
    body = {"type": "error", "error": {"type": "rate_limit_error", "message": "You have reached your spend limit",
                                       "details": {"error_code": "enforced_spend_limit_reached"}}}
    assert classify_response(429, {}, body, NOW).kind is K.QUOTA


def test_quota_with_http_date_sets_reset_at() -> None:
    when = datetime.fromtimestamp(NOW + 3600, tz=UTC)
    f = classify_response(429, {"Retry-After": format_datetime(when, usegmt=True)},
                          err("quota", type="insufficient_quota"), NOW)
    assert f.kind is K.QUOTA and f.reset_at == pytest.approx(NOW + 3600)


def test_openrouter_error_type_payment_required() -> None:
    f = classify_error_object({"code": 402, "message": "x", "metadata": {"error_type": "payment_required"}}, 200,
                              {}, NOW)
    assert f.kind is K.QUOTA


def test_per_minute_quota_wording_stays_rate_limited() -> None:
    body = err("Quota exceeded for metric: generate_content_free_tier_requests, limit: 15 per minute", code=429)
    assert classify_response(429, {}, body, NOW).kind is K.RATE_LIMITED
    # OpenAI's real per-minute message mentions billing; it is still a rate limit.
    body = err("Rate limit reached for gpt-4 in organization org-x on tokens per min. Limit: 10000, Used: 9000. "
               "You can increase your rate limit by adding a payment method at https://platform.openai.com/account/"
               "billing.", type="tokens", code="rate_limit_exceeded")
    assert classify_response(429, {"retry-after-ms": "6"}, body, NOW).kind is K.RATE_LIMITED


def test_openai_requests_per_day_limit_is_quota() -> None:
    body = err("Rate limit reached for gpt-4o on requests per day (RPD): Limit 200, Used 200, Requested 1.",
               type="requests", code="rate_limit_exceeded")
    assert classify_response(429, {}, body, NOW).kind is K.QUOTA


# -- unavailable -------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [502, 503, 529])
def test_unavailable_statuses(status: int) -> None:
    assert classify_response(status, {}, None, NOW).kind is K.UNAVAILABLE


def test_anthropic_529_overloaded() -> None:
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    f = classify_response(529, {"request-id": "req_1"}, json.dumps(body), NOW)
    assert (f.kind, f.code) == (K.UNAVAILABLE, "overloaded_error")
    assert "Overloaded" in f.detail


def test_503_retry_after_is_kept_as_floor() -> None:
    f = classify_response(503, {"Retry-After": "20"}, err("No endpoints found", code=503), NOW)
    assert (f.kind, f.retry_after_s) == (K.UNAVAILABLE, 20.0)


def test_litellm_string_code_503() -> None:
    body = err("litellm.ServiceUnavailableError: upstream down", type="internal_server_error", param=None, code="503")
    f = classify_response(503, {}, body, NOW)
    assert (f.kind, f.status) == (K.UNAVAILABLE, 503)


def test_openrouter_200_with_error_body() -> None:
    raw = json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    body = err("Provider returned error", code=502, metadata={"provider_name": "Anthropic", "raw": raw})
    f = classify_response(200, {}, body, NOW)
    assert (f.kind, f.status) == (K.UNAVAILABLE, 502)
    assert "Overloaded" in f.detail and "Anthropic" in f.detail


def test_openrouter_error_type_overrides_vague_status() -> None:
    f = classify_error_object({"code": 500, "message": "x", "metadata": {"error_type": "provider_overloaded"}},
                              None, {}, NOW)
    assert f.kind is K.UNAVAILABLE


def test_anthropic_stream_error_event_without_status() -> None:
    f = classify_error_object({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
                              200, {}, NOW)
    assert f.kind is K.UNAVAILABLE


# -- server_error, timeout -----------------------------------------------------------------------

@pytest.mark.parametrize("status", [500, 501, 505])
def test_server_errors(status: int) -> None:
    assert classify_response(status, {}, b"oops", NOW).kind is K.SERVER_ERROR


def test_anthropic_api_error_500() -> None:
    body = {"type": "error", "error": {"type": "api_error", "message": "Internal server error"}}
    assert classify_response(500, {}, body, NOW).kind is K.SERVER_ERROR


def test_html_error_page_detail_is_its_title() -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>"
    f = classify_response(502, {"content-type": "text/html"}, page, NOW)
    assert (f.kind, f.detail) == (K.UNAVAILABLE, "502 Bad Gateway")


@pytest.mark.parametrize("status", [408, 504])
def test_timeout_statuses(status: int) -> None:
    assert classify_response(status, {}, err("timed out", code=status), NOW).kind is K.TIMEOUT


def test_connect_timeout_exception() -> None:
    assert classify_exception(httpx.ConnectTimeout("timed out")).kind is K.TIMEOUT
    assert classify_exception(TimeoutError()).kind is K.TIMEOUT


# -- connection --------------------------------------------------------------------------------

@pytest.mark.parametrize("exc", [httpx.ConnectError("[Errno 111] Connection refused"),
                                 httpx.RemoteProtocolError("Server disconnected without sending a response."),
                                 httpx.ReadError(""), ConnectionResetError(104, "reset")])
def test_connection_exceptions(exc: BaseException) -> None:
    f = classify_exception(exc)
    assert f.kind is K.CONNECTION and f.detail


def test_read_error_detail_follows_the_cause_chain() -> None:
    try:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except ConnectionResetError as inner:
            raise httpx.ReadError("") from inner
    except httpx.ReadError as exc:
        assert "reset" in classify_exception(exc).detail


# -- interrupted, protocol ---------------------------------------------------------------------

def test_error_after_content_is_interrupted_with_the_underlying_kind() -> None:
    f = classify_error_object({"code": 502, "message": "Provider returned error"}, 200, {}, NOW, after_content=True)
    assert f.kind is K.INTERRUPTED
    assert "unavailable" in f.detail


def test_litellm_midstream_error_after_content() -> None:
    f = classify_error_object({"message": "boom", "type": "internal_server_error", "code": "500"}, 200, {}, NOW,
                              after_content=True)
    assert f.kind is K.INTERRUPTED and "server_error" in f.detail


def test_redirect_is_protocol_and_names_only_the_host() -> None:
    f = classify_response(302, {"Location": "https://elsewhere.example/steal?token=abc"}, b"", NOW)
    assert f.kind is K.PROTOCOL and "elsewhere.example" in f.detail and "token" not in f.detail


def test_200_without_error_is_protocol() -> None:
    assert classify_response(200, {}, {"choices": []}, NOW).kind is K.PROTOCOL


def test_malformed_exceptions_are_protocol() -> None:
    assert classify_exception(json.JSONDecodeError("x", "doc", 0)).kind is K.PROTOCOL
    assert classify_exception(httpx.UnsupportedProtocol("ftp")).kind is K.PROTOCOL


# -- not_found, auth ---------------------------------------------------------------------------

def test_ollama_missing_model_404() -> None:
    f = classify_response(404, {}, b'{"error": "model \'llama9\' not found"}', NOW)
    assert f.kind is K.NOT_FOUND and "llama9" in f.detail


def test_openrouter_no_endpoints_404() -> None:
    assert classify_response(404, {}, err("No endpoints found for x/y.", code=404), NOW).kind is K.NOT_FOUND


def test_invalid_model_id_400_is_not_found() -> None:
    assert classify_response(400, {}, err("x/y is not a valid model ID", code=400), NOW).kind is K.NOT_FOUND


def test_openai_model_not_found_code() -> None:
    body = err("The model `gpt-9` does not exist", type="invalid_request_error", code="model_not_found")
    assert classify_response(404, {}, body, NOW).kind is K.NOT_FOUND


def test_401_and_403_without_moderation_are_auth() -> None:
    assert classify_response(401, {}, err("No auth credentials found", code=401), NOW).kind is K.AUTH
    assert classify_response(403, {}, err("Key disabled", code=403), NOW).kind is K.AUTH


# -- context_length, content_policy, bad_request, cancelled -----------------------------------------

def test_openai_context_length_exceeded() -> None:
    body = err("This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
               type="invalid_request_error", param="messages", code="context_length_exceeded")
    assert classify_response(400, {}, body, NOW).kind is K.CONTEXT_LENGTH


def test_litellm_context_window_exceeded_message_on_400() -> None:
    body = err("litellm.ContextWindowExceededError: prompt too long", type="invalid_request_error", code="400")
    assert classify_response(400, {}, body, NOW).kind is K.CONTEXT_LENGTH


def test_openrouter_moderation_403() -> None:
    body = err("Input was flagged", code=403, metadata={"reasons": ["violence"], "flagged_input": "...",
                                                        "provider_name": "OpenAI", "model_slug": "openai/gpt-4o"})
    f = classify_response(403, {}, body, NOW)
    assert f.kind is K.CONTENT_POLICY and "flagged" in f.detail


def test_openai_content_policy_violation_400() -> None:
    body = err("Your request was rejected by the safety system", type="invalid_request_error",
               code="content_policy_violation")
    assert classify_response(400, {}, body, NOW).kind is K.CONTENT_POLICY


@pytest.mark.parametrize("status", [400, 422])
def test_other_400_and_422_are_bad_request(status: int) -> None:
    body = {"detail": [{"loc": ["body", "temperature"], "msg": "bad"}]} if status == 422 else err("bad temperature")
    assert classify_response(status, {}, body, NOW).kind is K.BAD_REQUEST


def test_cancelled() -> None:
    assert classify_exception(asyncio.CancelledError()).kind is K.CANCELLED


# -- message text never decides alone ---------------------------------------------------------------

def test_message_text_alone_does_not_classify() -> None:
    f = classify_error_object({"message": "rate limit: quota per-day exceeded, context length"}, None, {}, NOW)
    assert f.kind is K.SERVER_ERROR  # "the provider reported an error", nothing more specific
    assert classify_error_object("model 'x' not found", None, {}, NOW).kind is K.SERVER_ERROR


# -- Retry-After parsing -------------------------------------------------------------------------

@pytest.mark.parametrize(("headers", "expected"), [
    ({"Retry-After": "7"}, 7.0),
    ({"retry-after": "1.5"}, 1.5),
    ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
    ({"llm_provider-retry-after": "2"}, 2.0),
    ({"X-RateLimit-Reset": str(int((NOW + 60) * 1000))}, 60.0),
    ({"x-ratelimit-reset": str(int(NOW + 30))}, 30.0),
    ({"x-ratelimit-reset": str(int((NOW - 60) * 1000))}, 0.0),
    ({"retry-after": "-5"}, 0.0),
    ({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s"}, 360.0),
    ({"x-ratelimit-remaining-requests": "5", "x-ratelimit-reset-requests": "6m0s"}, None),
    ({"x-ratelimit-reset": "NAN"}, None),
    ({"x-ratelimit-reset": "inf"}, None),
    ({"retry-after": "soon"}, None),
    ({"retry-after": "nan"}, None),
    ({}, None),
])
def test_parse_retry_after(headers: dict, expected: float | None) -> None:
    got = parse_retry_after(headers, NOW)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_parse_retry_after_http_date_and_httpx_headers() -> None:
    when = datetime.fromtimestamp(NOW + 90, tz=UTC)
    assert parse_retry_after(httpx.Headers({"Retry-After": format_datetime(when, usegmt=True)}), NOW) == \
        pytest.approx(90.0)
    past = datetime.fromtimestamp(NOW - 90, tz=UTC)
    assert parse_retry_after({"Retry-After": format_datetime(past, usegmt=True)}, NOW) == 0.0


# -- details ----------------------------------------------------------------------------------

def test_detail_is_short_and_redacted() -> None:
    key = "sk-or-v1-0123456789abcdef0123"
    register_secret(key)
    f = classify_response(401, {}, err(f"Invalid key {key} " + "x" * 500, code=401), NOW)
    assert key not in f.detail and "***" in f.detail
    assert len(f.detail) <= 200


def test_bearer_token_in_message_is_scrubbed() -> None:
    f = classify_response(400, {}, err("bad header Authorization: Bearer abcdefghijklmnop"), NOW)
    assert "abcdefghijklmnop" not in f.detail


def test_redact_masks_secrets_longest_first_and_ignores_short_ones() -> None:
    assert redact("key abcdef and abcdefgh", ["abcdef", "abcdefgh"]) == "key *** and ***"
    assert redact("a short abc", ["abc"]) == "a short abc"
    assert redact("Authorization: Bearer tok_0123456789", []) == "Authorization: Bearer ***"
    assert redact("leaked sk-ant-api03-abcdefghijklmnop", []) == "leaked ***"
    assert redact("", ["abcdef"]) == ""


def test_registered_secrets_are_scrubbed_everywhere() -> None:
    register_secret("registry-secret-42")
    register_secret("tiny")  # too short to mask: ignored
    assert redact_known("x registry-secret-42 y tiny") == "x *** y tiny"


# -- properties --------------------------------------------------------------------------------

_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
                     lambda children: st.lists(children, max_size=4)
                     | st.dictionaries(st.sampled_from(["error", "code", "type", "message", "metadata", "details",
                                                        "error_type", "headers", "raw", "reasons", "status",
                                                        "error_code", "detail", "object"]) | st.text(max_size=5),
                                       children, max_size=5),
                     max_leaves=25)
_headers = st.dictionaries(st.sampled_from(["retry-after", "Retry-After", "retry-after-ms", "x-ratelimit-reset",
                                            "llm_provider-retry-after", "location", "x-ratelimit-reset-requests",
                                            "x-ratelimit-remaining-requests"]),
                           st.text(max_size=30), max_size=4)


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=100, max_value=599), _json, _headers)
def test_any_status_and_json_gives_a_failure(status: int, body: object, headers: dict) -> None:
    for payload in (body, json.dumps(body)):
        f = classify_response(status, headers, payload if isinstance(payload, (dict, str)) else json.dumps(payload),
                              NOW)
        assert isinstance(f.kind, K) and len(f.detail) <= 200
    f = classify_error_object(body if isinstance(body, (dict, str)) else {"error": body}, status, headers, NOW,
                              after_content=bool(status % 2))
    assert isinstance(f.kind, K)
    if f.retry_after_s is not None:
        assert f.retry_after_s >= 0


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-5, max_value=1000), st.binary(max_size=200), _headers)
def test_any_bytes_give_a_failure(status: int, body: bytes, headers: dict) -> None:
    assert isinstance(classify_response(status, headers, body, NOW).kind, K)


def test_control_sequences_in_a_provider_message_are_shown_escaped() -> None:
    body = {"error": {"message": "overloaded\x1b[2J\x1b]0;title\x07 now\x9b31m", "code": 503}}
    f = classify_response(503, {}, json.dumps(body), NOW)
    assert f.detail == "overloaded\\x1b[2J\\x1b]0;title\\x07 now\\x9b31m"
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in f.summary())
