"""The §4 failure table as data: each fault the failing model `bad` plays, and what must follow.

Rows are written once for every provider API; the fault server spells each behaviour in the API
the request came in on (tests/faultwires.py). A row names the APIs it applies to (a 200 with an
error body is OpenRouter's own) and what differs in one API (`per_api`: Anthropic's overload is a
529, Gemini's invalid key a 400). `NATIVE` adds the kinds only one API's wire can express
(Anthropic's credit balance and 413, Gemini's per-day quota, invalid key, SAFETY and blockReason).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from faultserver import (Close, Error, Hang, HeadersThenSilence, Json, Redirect, Reset, Stream, completion,
                         error_json)

from reliability_kit import BAD_TEXT_TOKENS, CANARY, STALL, TTFT

APIS = ("openai", "anthropic", "gemini")

BAD5 = BAD_TEXT_TOKENS[:5]
BAD5_TEXT = "".join(BAD5)
OK_STREAM = Stream(tokens=BAD5)
OK_PLAIN = completion(BAD5_TEXT)
SLOW_MIN = TTFT * 0.9  # a timeout may fire a hair early on the loop clock


@dataclass(frozen=True)
class Fault:
    """One row of the failure table, as the faulty model `bad` plays it."""

    name: str
    stream: list | None  # bad's behaviours for a streamed request (None: not applicable)
    plain: list | None  # ... for a non-streamed request
    tries: tuple[tuple[str, str, int | None], ...]  # bad's failed tries: (outcome, kind, status)
    scope: str = "model"  # model / provider / request / none (nothing to disable: it recovered)
    out_s: float | None = 10.0  # how long bad is out (model scope); None: until enabled (provider)
    recovers: bool = False  # bad answers after a same-model retry (or despite the fault)
    stop: bool = False  # the chain stops (content policy)
    partial: int | None = None  # tokens of bad's answer shown before an interruption
    min_s: float = 0.0  # the fault costs at least this long (a wait, a timeout)
    budget: float = 0.0  # ... and at most this long; the call must end within budget + MARGIN
    says: str = "flagged"  # a stopping fault: what the chain's message quotes
    apis: tuple[str, ...] = APIS  # the APIs whose wire can express this fault
    per_api: dict[str, dict] = field(default_factory=dict)  # fields that differ in one API

    def behaviours(self, stream: bool) -> list | None:
        return self.stream if stream else self.plain

    def tries_for(self, stream: bool) -> tuple:
        return self.tries if self.tries is not None else HEADERS_SILENCE[stream]

    def in_api(self, api: str) -> Fault:
        """This row as it plays in `api`."""
        return dataclasses.replace(self, **self.per_api.get(api, {}))


def both(*behaviours) -> dict:
    return {"stream": list(behaviours), "plain": list(behaviours)}


FAILED = "failed"
FAULTS = [
    Fault("429-short-retry-after",
          stream=[error_json(429, "Rate limit exceeded", headers={"Retry-After": "0.2"}), OK_STREAM],
          plain=[error_json(429, "Rate limit exceeded", headers={"Retry-After": "0.2"}), OK_PLAIN],
          tries=(("retried", "rate_limited", 429),), scope="none", recovers=True, min_s=0.2, budget=0.2),
    Fault("429-persistent", **both(error_json(429, "Rate limit exceeded", headers={"Retry-After": "30"})),
          tries=((FAILED, "rate_limited", 429),), out_s=30.0),
    Fault("500-once-then-healthy", stream=[error_json(500, "Internal Server Error"), OK_STREAM],
          plain=[error_json(500, "Internal Server Error"), OK_PLAIN],
          tries=(("retried", "server_error", 500),), scope="none", recovers=True, budget=0.25),
    Fault("500-persistent", **both(error_json(500, "Internal Server Error")),
          tries=(("retried", "server_error", 500), (FAILED, "server_error", 500)), budget=0.25),
    Fault("503-persistent", **both(error_json(503, "overloaded", type="overloaded_error")),
          tries=((FAILED, "unavailable", 503),),
          per_api={"anthropic": {**both(Error(529, "Overloaded")), "tries": ((FAILED, "unavailable", 529),)}}),
    Fault("504-gateway-timeout", **both(error_json(504, "Gateway Timeout")), tries=((FAILED, "timeout", 504),)),
    Fault("reset-before-headers", **both(Reset()),
          tries=(("retried", "connection", None), (FAILED, "connection", None)), budget=0.25),
    Fault("closed-before-headers", **both(Close()),
          tries=(("retried", "connection", None), (FAILED, "connection", None)), budget=0.25),
    Fault("accept-and-never-answer", **both(Hang()), tries=((FAILED, "timeout", None),), min_s=SLOW_MIN, budget=TTFT),
    Fault("first-token-after-20s", stream=[Stream(first_delay=20)],
          plain=[completion(BAD5_TEXT, delay=20)], tries=((FAILED, "timeout", None),), min_s=SLOW_MIN, budget=TTFT),
    Fault("headers-then-silence", stream=[HeadersThenSilence()],
          plain=[HeadersThenSilence(headers={"Content-Type": "application/json"})],
          tries=None, min_s=SLOW_MIN, budget=TTFT),  # tries per mode: see HEADERS_SILENCE below
    Fault("keepalive-comments-forever", stream=[Stream(keepalive_forever=True)], plain=None,
          tries=((FAILED, "timeout", None),), min_s=SLOW_MIN, budget=TTFT),
    Fault("stream-cut-after-40-tokens", stream=[Stream(tokens=BAD_TEXT_TOKENS, cut_after=40)], plain=None,
          tries=((FAILED, "interrupted", None),), partial=40),
    Fault("truncated-json-body", stream=None,
          plain=[Json(200, '{"id": "x", "choices": [{"index": 0, "message": {"content": "half an ans')],
          tries=((FAILED, "protocol", None),)),
    Fault("stall-after-20-tokens", stream=[Stream(tokens=BAD_TEXT_TOKENS, stall_after=20)], plain=None,
          tries=((FAILED, "interrupted", None),), partial=20, min_s=SLOW_MIN, budget=TTFT),
    Fault("stall-with-keepalive-comments", stream=[Stream(tokens=BAD_TEXT_TOKENS, stall_after=20,
                                                          stall_comments=True)], plain=None,
          tries=((FAILED, "interrupted", None),), partial=20, min_s=SLOW_MIN, budget=TTFT),
    Fault("one-malformed-chunk-skipped", stream=[Stream(tokens=BAD5, bad_after=2)], plain=None,
          tries=(), scope="none", recovers=True),
    Fault("three-malformed-chunks", stream=[Stream(tokens=BAD5, bad_after=2, bad_lines=3)], plain=None,
          tries=((FAILED, "interrupted", None),), partial=2),
    Fault("three-malformed-chunks-before-content", stream=[Stream(tokens=BAD5, bad_after=0, bad_lines=3)],
          plain=None, tries=((FAILED, "protocol", None),)),
    Fault("malformed-json-body", stream=None, plain=[Json(200, "this is not json")],
          tries=((FAILED, "protocol", None),)),
    Fault("complete-without-done", stream=[Stream(tokens=BAD5, done=False, chunked=False)], plain=None,
          tries=(), scope="none", recovers=True, budget=0.1),
    Fault("finish-without-done-held-open", stream=[Stream(tokens=BAD5, done=False, usage=False, hold_open=True)],
          plain=None, tries=(), scope="none", recovers=True, budget=STALL),
    Fault("all-content-but-no-finish-or-done",
          stream=[Stream(tokens=BAD5, finish_reason=None, usage=False, done=False, chunked=False)], plain=None,
          tries=((FAILED, "interrupted", None),), partial=5),
    Fault("empty-completion", stream=[Stream(tokens=0)], plain=[completion("")],
          tries=((FAILED, "protocol", None),)),
    Fault("context-length", **both(error_json(400, "This model's maximum context length is 8192 tokens",
                                              code="context_length_exceeded", type="invalid_request_error", apis={
                                                  "anthropic": {"message": "prompt is too long: 9000 tokens > 8192 "
                                                                           "maximum"},
                                                  "gemini": {"message": "The input token count (9000) exceeds the "
                                                                        "maximum number of tokens allowed (8192)."}})),
          tries=((FAILED, "context_length", 400),), scope="request", out_s=None),
    Fault("content-policy", **both(error_json(403, "Your input was flagged",
                                              metadata={"reasons": ["violence"], "flagged_input": "hi"})),
          tries=((FAILED, "content_policy", 403),), scope="request", out_s=None, stop=True, apis=("openai",)),
    Fault("bad-request-422", **both(error_json(422, "Unprocessable Entity")),
          tries=((FAILED, "bad_request", 422),), scope="request", out_s=None,
          per_api={api: {**both(error_json(400, "messages.1: tool_use ids were found without tool_result blocks")),
                         "tries": ((FAILED, "bad_request", 400),)} for api in ("anthropic", "gemini")}),
    Fault("401-key-echoed", **both(error_json(401, f"Incorrect API key provided: {CANARY}. Bearer {CANARY}")),
          tries=((FAILED, "auth", 401),), scope="provider", out_s=None),
    Fault("402-credits", **both(error_json(402, "Insufficient credits")),
          tries=((FAILED, "quota", 402),), scope="provider", out_s=None, apis=("openai", "anthropic")),
    Fault("404-not-found", **both(error_json(404, "The model `bad` does not exist")),
          tries=((FAILED, "not_found", 404),), out_s=3600.0),
    Fault("200-with-error-body", **both(Json(200, {"error": {"code": 502, "message": "Provider returned error"}})),
          tries=((FAILED, "unavailable", 502),), apis=("openai",)),
    Fault("error-chunk-first-and-only", stream=[Stream(role_chunk=False, error_after=0)], plain=None,
          tries=((FAILED, "unavailable", 502),),  # Anthropic's error event carries a type, no code
          per_api={"anthropic": {"tries": ((FAILED, "unavailable", None),)}}),
    Fault("error-chunk-after-content", stream=[Stream(tokens=BAD_TEXT_TOKENS, error_after=10)], plain=None,
          tries=((FAILED, "interrupted", 502),), partial=10,
          per_api={"anthropic": {"tries": ((FAILED, "interrupted", None),)}}),
    Fault("redirect-not-followed", **both(Redirect(location="http://127.0.0.1:9/v1/chat/completions")),
          tries=((FAILED, "protocol", 302),)),
]
HEADERS_SILENCE = {True: ((FAILED, "timeout", None),), False: ((FAILED, "interrupted", None),)}



NATIVE = {
    "anthropic": [
        Fault("413-request-too-large", **both(Error(413, "Request exceeds the maximum allowed number of bytes.")),
              tries=((FAILED, "context_length", 413),), scope="request", out_s=None),
        Fault("credit-balance-too-low", **both(Error(400, "Your credit balance is too low to access the Anthropic "
                                                         "API. Please go to Plans & Billing to upgrade.")),
              tries=((FAILED, "quota", 400),), scope="provider", out_s=None),
        Fault("refusal", stream=[Stream(tokens=[], finish_reason="refusal")],
              plain=[completion("", finish_reason="refusal")], tries=((FAILED, "content_policy", None),),
              scope="request", out_s=None, stop=True, says="content filter"),
    ],
    "gemini": [
        Fault("per-day-quota", **both(Error(429, "You exceeded your current quota.",
                                            quota_id="GenerateRequestsPerDayPerProjectPerModel-FreeTier")),
              tries=((FAILED, "quota", 429),), scope="provider", out_s=None),
        Fault("api-key-invalid", **both(Error(400, f"API key not valid: {CANARY}", reason="API_KEY_INVALID")),
              tries=((FAILED, "auth", 400),), scope="provider", out_s=None),
        Fault("safety-finish", stream=[Stream(tokens=[], finish_reason="SAFETY")],
              plain=[completion("", finish_reason="SAFETY")], tries=((FAILED, "content_policy", None),),
              scope="request", out_s=None, stop=True, says="content filter"),
        Fault("prompt-blocked",
              stream=[Json(200, 'data: {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}\r\n\r\n',
                           content_type="text/event-stream")],
              plain=[Json(200, {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}})],
              tries=((FAILED, "content_policy", None),), scope="request", out_s=None, stop=True,
              says="PROHIBITED_CONTENT"),
    ],
}
