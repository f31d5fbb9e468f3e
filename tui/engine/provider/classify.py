"""Failure classification of error bodies (docs/architecture.md §4): HTTP status + body + headers -> `Failure`.

Pure functions, no I/O. The status and the body's machine-readable fields (`code`, `type`,
`metadata.error_type`, `details.error_code`, moderation metadata) decide the kind; message text
only *refines* a kind that a status or code already established (a 429 that says "per-day" is a
quota; a 400 that says "maximum context length" is context_length), never decides alone.
Nothing here raises, whatever the provider sends.

These are the OpenAI-compatible rules (OpenAI, OpenRouter, LiteLLM, vLLM), which also read the
error identifiers of the other APIs; the anthropic and gemini adapters add their own rules in front
(`anthropic_errors`, `gemini_errors`). Transport failures (no response at all) are `transport_errors`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tui.engine.failures import Failure, FailureKind
from tui.engine.provider.retry_after import lower_headers, number, parse_retry_after, retry_info
from tui.engine.secrets import redact_known
from tui.engine.text import printable

__all__ = ["MAX_DETAIL", "classify_error_object", "classify_response", "parse_retry_after", "short_detail"]

K = FailureKind
MAX_DETAIL = 200

# Machine-readable identifiers (code / type / error_type), normalised, to kinds.
_ID_KINDS: dict[str, FailureKind] = {}
for _kind, _ids in {
    K.QUOTA: "insufficient_quota credit_balance_exhausted organization_spend_limit_exceeded "
             "project_spend_limit_exceeded organization_usage_limit_exceeded enforced_spend_limit_reached "
             "payment_required billing_hard_limit_reached insufficient_credits quota_exceeded "
             "billing_not_active insufficient_balance",
    K.CONTEXT_LENGTH: "context_length_exceeded contextwindowexceedederror context_window_exceeded "
                      "request_too_large",
    K.CONTENT_POLICY: "content_policy_violation content_filter contentpolicyviolationerror moderation "
                      "flagged content_policy_violation_error guardrail_violation",
    K.RATE_LIMITED: "rate_limit_exceeded rate_limit_error ratelimiterror throttling_error rate_limited "
                    "too_many_requests slow_down rate_limit resource_exhausted",
    K.UNAVAILABLE: "overloaded_error overloaded provider_overloaded provider_unavailable service_unavailable "
                   "serviceunavailableerror service_unavailable_error no_endpoints unavailable",
    K.TIMEOUT: "timeout timeout_error request_timeout timeouterror deadline_exceeded",
    K.AUTH: "authentication authentication_error authenticationerror invalid_api_key permission_denied "
            "permission_error permissiondeniederror unauthorized unauthenticated",
    K.NOT_FOUND: "not_found not_found_error notfounderror model_not_found",
    K.SERVER_ERROR: "api_error internal_server_error server_error internalservererror apierror internal",
    K.BAD_REQUEST: "invalid_request_error badrequesterror invalid_request unprocessableentityerror "
                   "invalid_argument",
}.items():
    for _id in _ids.split():
        _ID_KINDS[_id] = _kind
_STRONG = {K.QUOTA, K.CONTEXT_LENGTH, K.CONTENT_POLICY}  # these ids beat the HTTP status
_VAGUE_5XX = {K.RATE_LIMITED, K.UNAVAILABLE, K.TIMEOUT}  # these ids refine a vague 5xx

_CONTEXT_TEXT = re.compile(
    r"context[ _-]?(length|window)|maximum context|contextwindowexceeded|prompt is too long|"
    r"too many (input )?tokens|input is too long|reduce the length|exceeds? (the )?context limit|"
    r"exceeds the maximum number of tokens", re.I)
_MODEL_MISSING_TEXT = re.compile(
    r"not a valid model|model\b.{0,80}\b(does not exist|not found|is not supported)|unknown model|"
    r"no such model|model_not_found", re.I)
_PER_DAY_TEXT = re.compile(r"per[-_ ]?day|daily|\bRPD\b", re.I)
_PER_MINUTE_TEXT = re.compile(r"per[-_ ]?(min|minute|sec|second)\b|\b[RT]P[MS]\b", re.I)
_QUOTA_TEXT = re.compile(r"quota|credits?\b|spend(ing)?[-_ ]limit|billing|insufficient (funds|balance)", re.I)
_CREDIT_TEXT = re.compile(r"credit balance|insufficient (credits|funds|balance)|billing|spend(ing)?[-_ ]limit|quota",
                          re.I)
_GENERIC_TEXT = re.compile(r"^(provider returned error|upstream error|internal server error|error)\.?$", re.I)
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


# -- small safe helpers --------------------------------------------------------------------

def short_detail(text: str, limit: int = MAX_DETAIL) -> str:
    """Whitespace collapsed, secrets scrubbed, control characters shown as escapes, then cut to `limit`."""
    text = printable(redact_known(" ".join(str(text).split())))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _norm_id(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    last = value.strip().split(".")[-1]
    return re.sub(r"[^a-z0-9]+", "_", last.lower()).strip("_") or None


def _status_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    code = number(value) if isinstance(value, (int, float, str)) else None
    if code is None or not code.is_integer() or not 100 <= code <= 599:
        return None
    return int(code)


# -- classification ------------------------------------------------------------------------

def _kind_for_status(status: int) -> FailureKind | None:
    if status == 429:
        return K.RATE_LIMITED
    if status == 402:
        return K.QUOTA
    if status in (401, 403, 407):
        return K.AUTH
    if status in (404, 410):
        return K.NOT_FOUND
    if status in (408, 504, 524):
        return K.TIMEOUT
    if status == 413:
        return K.CONTEXT_LENGTH
    if 400 <= status < 500:
        return K.BAD_REQUEST
    if status in (502, 503, 529, 520, 521, 522, 523):
        return K.UNAVAILABLE
    if 500 <= status < 600:
        return K.SERVER_ERROR
    if 300 <= status < 400:
        return K.PROTOCOL
    return None


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)[:500]
    except (TypeError, ValueError, RecursionError):
        return ""


def _raw_message(raw: Any) -> str:
    """The upstream's own message inside OpenRouter's `metadata.raw` (often JSON in a string)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            return raw
    if isinstance(raw, dict):
        inner = raw.get("error", raw)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
        if isinstance(inner, str):
            return inner
    return _text_of(raw)


def _moderated(metadata: dict) -> bool:
    return any(metadata.get(key) for key in ("reasons", "flagged_input", "flagged", "patterns"))


def _classify(error: Any, status: int | None, headers: Any, now_wall: float) -> Failure:
    if isinstance(error, dict) and isinstance(error.get("error"), (dict, str)) and "message" not in error:
        error = error["error"]  # a whole Anthropic-style body: {"type": "error", "error": {...}}
    err: dict = error if isinstance(error, dict) else {"message": _text_of(error)}
    metadata = err.get("metadata") if isinstance(err.get("metadata"), dict) else {}
    details = err.get("details") if isinstance(err.get("details"), dict) else {}
    message = _text_of(err.get("message") or err.get("detail") or err.get("msg"))
    raw_code = err.get("code")
    code_status = _status_code(raw_code) if not isinstance(raw_code, str) or raw_code.strip().isdigit() else None
    typed_ids = [i for i in (_norm_id(metadata.get("error_type")),) if i]
    other_ids = [i for i in (_norm_id(details.get("error_code")), _norm_id(details.get("type")),
                             None if code_status else _norm_id(raw_code), _norm_id(err.get("type")),
                             _norm_id(err.get("status"))) if i and i != "error"]
    http_status = status if status is not None and not 200 <= status < 300 else None
    eff = http_status or code_status

    kind: FailureKind | None = None
    if _moderated(metadata):
        kind = K.CONTENT_POLICY
    for ident in typed_ids:
        kind = kind or _ID_KINDS.get(ident)
    for ident in other_ids:
        if kind is None and _ID_KINDS.get(ident) in _STRONG:
            kind = _ID_KINDS[ident]
    if kind is None and eff is not None:
        kind = _kind_for_status(eff)
        if eff >= 500:
            vague = [_ID_KINDS[i] for i in other_ids if _ID_KINDS.get(i) in _VAGUE_5XX]
            kind = vague[0] if vague else kind
    for ident in other_ids:
        kind = kind or _ID_KINDS.get(ident)
    kind = kind or K.SERVER_ERROR  # an error object with nothing machine-readable: "provider error"

    # Text refines what the status or code established.
    anchored = eff is not None or bool(typed_ids or other_ids)
    words = " ".join([message, *typed_ids, *other_ids])
    if anchored:
        if kind is K.RATE_LIMITED:
            if _PER_DAY_TEXT.search(words) or (_QUOTA_TEXT.search(words) and not _PER_MINUTE_TEXT.search(words)):
                kind = K.QUOTA
        elif kind in (K.BAD_REQUEST, K.AUTH) and eff in (400, 403) and _CREDIT_TEXT.search(message):
            kind = K.QUOTA
        if kind is K.BAD_REQUEST and _CONTEXT_TEXT.search(words):
            kind = K.CONTEXT_LENGTH
        elif kind is K.BAD_REQUEST and _MODEL_MISSING_TEXT.search(words):
            kind = K.NOT_FOUND

    merged = lower_headers(headers)
    for key, value in lower_headers(metadata.get("headers")).items():
        merged.setdefault(key, value)
    relative, absolute = retry_info(merged, now_wall)
    if kind is K.QUOTA:
        retry_after_s, reset_at = relative, absolute
    else:
        retry_after_s = relative if relative is not None else (
            max(0.0, absolute - now_wall) if absolute is not None else None)
        reset_at = None

    ident = (typed_ids + other_ids + [None])[0]
    text = message.strip()
    if metadata.get("raw") is not None and (not text or _GENERIC_TEXT.match(text)):
        inner = _raw_message(metadata["raw"]).strip()
        text = f"{text}: {inner}" if text and inner else (text or inner)
    if not text:
        text = _phrase(eff) or ident or kind.value.replace("_", " ")
    if isinstance(metadata.get("provider_name"), str) and metadata["provider_name"]:
        text = f"{text} ({metadata['provider_name']})"
    if (ident and _ID_KINDS.get(ident) not in (None, K.SERVER_ERROR, K.BAD_REQUEST)
            and ident.replace("_", " ") not in text.lower().replace("_", " ")):
        text = f"{ident}: {text}"
    code = ident or (str(code_status) if code_status else None)
    return Failure(kind, short_detail(text), eff, retry_after_s, reset_at, code)


def _phrase(status: int | None) -> str:
    import http  # here: only a failure needs a status phrase

    try:
        return http.HTTPStatus(status).phrase if status else ""
    except ValueError:
        return ""


def _parse_body(body: Any) -> tuple[Any, str]:
    if body is None or isinstance(body, (dict, list)):
        return body, ""
    text = bytes(body).decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else str(body)
    try:
        return json.loads(text), text
    except (ValueError, RecursionError):
        return None, text


def _error_in(data: Any) -> Any:
    """The error object of a parsed body, or None when the body carries none."""
    if not isinstance(data, dict):
        return None
    err = data.get("error")
    if isinstance(err, (dict, str)) and err:
        return err
    if data.get("object") == "error" or data.get("type") == "error":
        return data  # vLLM-style top-level error
    if isinstance(data.get("detail"), (str, list)) or isinstance(data.get("message"), str):
        return {"message": _text_of(data.get("message") or data.get("detail"))}
    return None


def classify_response(status: int, headers: Mapping[str, str] | None, body: bytes | str | dict | None,
                      now_wall: float) -> Failure:
    """Classify a non-2xx response, or a 2xx whose body carries an `error` object."""
    try:
        data, text = _parse_body(body)
        if 300 <= status < 400:
            location = lower_headers(headers).get("location", "")
            import httpx

            host = httpx.URL(location).host if location else ""
            where = f" to {host}" if host else ""
            return Failure(K.PROTOCOL, short_detail(f"redirect ({status}){where} not followed"), status)
        err = _error_in(data)
        if err is None:
            if 200 <= status < 300:
                return Failure(K.PROTOCOL, "response carried neither a completion nor an error", status)
            title = _HTML_TITLE.search(text)
            snippet = title.group(1) if title else ("" if "<html" in text[:500].lower() else text[:200])
            err = {"message": snippet.strip() or _phrase(status)}
        return _classify(err, status, headers, now_wall)
    except Exception as exc:  # defensive: classification must never take the engine down
        return Failure(K.PROTOCOL, short_detail(f"unclassifiable response ({type(exc).__name__})"), status)


def classify_error_object(error: dict | str, status: int | None, headers: Mapping[str, str] | None,
                          now_wall: float, after_content: bool = False) -> Failure:
    """Classify an in-body or in-stream error; after content it is INTERRUPTED (underlying kind kept in detail)."""
    try:
        failure = _classify(error, status, headers, now_wall)
    except Exception as exc:
        failure = Failure(K.SERVER_ERROR, short_detail(f"provider error ({type(exc).__name__})"), status)
    if not after_content:
        return failure
    return Failure(K.INTERRUPTED, short_detail(f"{failure.kind.value} mid-answer: {failure.detail}"),
                   failure.status, failure.retry_after_s, None, failure.code)
