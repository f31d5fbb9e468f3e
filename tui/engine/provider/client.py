"""The shared provider client: one provider, whatever its API, streamed or not, with hard time budgets.

What every API shares lives here once: the pooled connections (a `Wire`), TLS, the key (from the environment,
redacted, sent only to this provider's base URL), the deadlines, the body limits and the SSE
reader. What differs per API (paths, key header, JSON shapes, error bodies, the listing) is the
provider's `Adapter` (provider/adapter.py, chosen by `ProviderConfig.api`).

Every way a call can go wrong ends as `ProviderError(failure, partial)`; no httpx or json
exception escapes. Time budgets are loop deadlines around each read, not httpx read timeouts,
because keep-alive comments would reset a read timeout forever (livekit #6171): only content
(text or a tool-call fragment) and reasoning tokens count as the first token, and only they push
the stall deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from tui.engine.clock import Clock, SystemClock
from tui.engine.config import Policy, ProviderConfig
from tui.engine.events import ChatRequest
from tui.engine.failures import Failure, FailureKind, ProviderError, RequestError
from tui.engine.provider.adapter import Adapter, Listed
from tui.engine.provider.answer import AnswerItem, Delta, Done
from tui.engine.provider.apis import adapter_for
from tui.engine.provider.classify import short_detail
from tui.engine.provider.http_client import encode_json
from tui.engine.provider.read_deadline import ReadDeadline
from tui.engine.provider.sse import SSEParser
from tui.engine.provider.transport_errors import classify_exception
from tui.engine.provider.wire import Reply, Wire
from tui.engine.provider.wire_choice import make_wire
from tui.engine.secrets import register_secret

if TYPE_CHECKING:
    import ssl

    import httpx

K = FailureKind
ERROR_BODY_LIMIT = 64 * 1024  # enough for any error message; a hostile body cannot flood memory
ANSWER_BODY_LIMIT = 16 * 1024 * 1024
FINISH_GRACE = 2.0  # after a finish reason, how long to wait for the usage and the API's terminator
DRAIN_GRACE = 0.1  # after [DONE], how long to read on so the connection can go back to the pool
USER_AGENT = "modelfallback/0.1"
_SECRET_HEADER_WORDS = ("key", "token", "auth", "secret")
MAX_LISTING_PAGES = 20  # a paginated listing longer than this is cut (20 × 1,000 models)

__all__ = ["AnswerItem", "Delta", "Done", "ProviderClient"]  # Delta and Done live in answer.py


@functools.cache
def _shared_tls_context() -> ssl.SSLContext:
    import httpx

    return httpx.create_ssl_context()  # certifi's bundle, or SSL_CERT_FILE / SSL_CERT_DIR as httpx reads them


def _failed(kind: FailureKind, detail: str, partial: str = "", status: int | None = None) -> ProviderError:
    return ProviderError(Failure(kind, short_detail(detail), status), partial)


def _loads(body: bytes) -> Any:
    """A JSON body; a stray invalid UTF-8 byte becomes U+FFFD (as in a stream) instead of losing the answer."""
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        return json.loads(body.decode("utf-8", "replace"))


class ProviderClient:
    """Talks to one provider through its API's adapter; one pooled `Wire`, created on first use."""

    def __init__(self, provider: ProviderConfig, *, env: Mapping[str, str] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, clock: Clock | None = None) -> None:
        self.provider = provider
        self.name = provider.name
        self._env = env if env is not None else os.environ
        self._transport = transport
        self._clock = clock or SystemClock()
        self._http: Wire | None = None
        self.adapter: Adapter = adapter_for(provider)
        self._base = self.adapter.base
        self._raw_key: object = object()  # the environment's value `_cached_key` was read from
        self._cached_key: str | None = None
        for header, value in provider.headers.items():
            if any(word in header.lower() for word in _SECRET_HEADER_WORDS):
                register_secret(value)
        self._key()  # registers the key for redaction right away

    # -- keys ------------------------------------------------------------------------------

    def _key(self) -> str | None:
        """The key from the environment, read each time (it may change), registered for redaction
        once per value (this runs on every request)."""
        if self.provider.api_key_env is None:
            return None
        raw = self._env.get(self.provider.api_key_env)
        if raw is not self._raw_key:
            key = (raw or "").strip()
            if key:
                register_secret(key)
            self._raw_key, self._cached_key = raw, key or None
        return self._cached_key

    def has_key(self) -> bool:
        """True when no key is needed (local Ollama) or the named variable is set and non-empty."""
        return self.provider.api_key_env is None or self._key() is not None

    def key_fingerprint(self) -> str | None:
        """First 12 hex digits of sha256(key): notices a changed key without storing it."""
        key = self._key()
        if not key:
            return None
        import hashlib  # here: only a provider block after an auth failure needs it

        return hashlib.sha256(key.encode()).hexdigest()[:12]

    # -- plumbing --------------------------------------------------------------------------

    def _wire(self) -> Wire:
        if self._http is None:
            self._http = make_wire(self._transport, self._tls())
        return self._http

    def _tls(self) -> ssl.SSLContext | bool:
        """The TLS context: one per process, shared by every https provider (loading the CA bundle
        takes tens of milliseconds); none to load for a plain-http provider (a local server), which
        never speaks TLS (redirects are not followed)."""
        if self._base.lower().startswith("http://"):
            return False
        return _shared_tls_context()

    def _headers(self, accept: str) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, "Accept": accept, **self.adapter.fixed_headers(), **self.provider.headers}
        key = self._key()
        if key:
            headers.update(self.adapter.auth_headers(key))
        elif self.provider.api_key_env is not None:
            raise _failed(K.AUTH, f"no API key: ${self.provider.api_key_env} is not set")
        return headers

    async def _open(self, method: str, path: str, deadline: float, connect_timeout: float, *,
                    accept: str, budget: str, json_body: Any = None,
                    reads: ReadDeadline | None = None) -> Reply:
        """Send and wait for the response headers, bounded by `deadline` (loop time): by `reads`'
        timer when given (a chat: that timer then bounds the first read too), else by its own."""
        wire = self._wire()
        headers = self._headers(accept)
        body = None
        try:  # our side: nothing has left the machine
            for value in headers.values():
                value.encode("ascii")  # what HTTP headers carry; aiohttp would send UTF-8 where httpx refuses
            if json_body is not None:
                body = encode_json(json_body)
                headers["Content-Type"] = "application/json"
        except (UnicodeError, TypeError, ValueError, RecursionError) as exc:
            raise RequestError(f"the request could not be encoded: {type(exc).__name__}") from None
        try:
            if reads is not None:
                return await reads.wait(wire.send(method, self._base + path, headers, body, connect_timeout), deadline)
            async with asyncio.timeout_at(deadline):
                return await wire.send(method, self._base + path, headers, body, connect_timeout)
        except ProviderError:
            raise
        except TimeoutError:
            raise _failed(K.TIMEOUT, f"no response within {budget}") from None
        except Exception as exc:
            raise ProviderError(classify_exception(exc)) from None

    async def _read_body(self, response: Reply, limit: int, stall: float,
                         reads: ReadDeadline | None = None) -> tuple[bytes, str | None]:
        """Up to `limit` bytes, each read bounded by `stall`; returns (body, problem or None).
        `reads`: the request's own deadline timer, reused (else one for the whole body)."""
        body = bytearray()
        chunks = response.chunks()
        loop = asyncio.get_running_loop()
        own = reads is None
        if reads is None:
            reads = ReadDeadline()
        try:
            while len(body) <= limit:
                chunk = await reads.next(chunks, loop.time() + stall)
                if chunk is None:
                    return bytes(body), None
                body += chunk
            return bytes(body[:limit]), "too large"
        except TimeoutError:
            return bytes(body), f"stalled for {stall:g}s"
        except Exception as exc:
            return bytes(body), short_detail(classify_exception(exc).detail)
        finally:
            if own:
                reads.close()
            with contextlib.suppress(Exception):
                await chunks.aclose()  # type: ignore[attr-defined]

    async def _fail_status(self, response: Reply, stall: float,
                           reads: ReadDeadline | None = None) -> ProviderError:
        """Read a non-2xx body (bounded) and classify it; a body that never comes still has its status."""
        body, _ = await self._read_body(response, ERROR_BODY_LIMIT, stall, reads)
        return ProviderError(self.adapter.classify_response(response.status_code, response.headers, body,
                                                            self._clock.wall()))

    # -- chat ------------------------------------------------------------------------------

    async def chat(self, model_id: str, request: ChatRequest, policy: Policy, *,
                   max_tokens: int | None = None) -> AsyncIterator[AnswerItem]:
        """Yield Deltas and ToolCallDeltas, then one Done; raise ProviderError (with the partial text)
        on any failure. `max_tokens`: the model's configured default, for a request that names none.

        The stream loop lives here rather than in a helper generator: every token would otherwise
        pass through one more generator frame, a measurable share of the client's own cost.
        """
        loop = asyncio.get_running_loop()
        ttft_deadline = loop.time() + policy.ttft_timeout
        accept = "text/event-stream" if request.stream else "application/json"
        reads = ReadDeadline()  # one timer for the whole request: the send, then every read
        response: Reply | None = None
        chunks: AsyncIterator[bytes] | None = None
        adapter = self.adapter
        try:
            body = adapter.build_body(model_id, request, max_tokens)  # RequestError: nothing was sent
            response = await self._open("POST", adapter.chat_path(model_id, request.stream), ttft_deadline,
                                        policy.connect_timeout, accept=accept,
                                        budget=f"{policy.ttft_timeout:g}s (ttft_timeout)", json_body=body,
                                        reads=reads)
            if not 200 <= response.status_code < 300:
                raise await self._fail_status(response, policy.stall_timeout, reads)
            if not request.stream or "json" in response.headers.get("content-type", "").lower():
                for item in await self._json_answer(response, policy, reads):
                    yield item
                return
            state = adapter.stream_state(self.name, response.status_code, response.headers, self._clock.wall())
            parser = SSEParser()
            chunks = response.chunks()
            stall_deadline = finish_deadline = float("inf")
            while not state.finished:
                deadline = ttft_deadline if not state.any_token else min(stall_deadline, finish_deadline)
                eof = False
                try:
                    chunk = await reads.next(chunks, deadline)
                except TimeoutError:
                    if state.finish_reason is not None:
                        break  # finished; the usage chunk or [DONE] never came
                    if not state.any_token:
                        raise state.fail(K.TIMEOUT, f"no first token within {policy.ttft_timeout:g}s"
                                         + state.waiting_note()) from None
                    raise state.fail(K.INTERRUPTED, f"stalled: no tokens for {policy.stall_timeout:g}s") from None
                except Exception as exc:
                    state.lost_connection(classify_exception(exc).detail)
                    break
                if chunk is None:
                    items, eof = parser.close(), True
                else:
                    items = parser.feed(chunk)
                if parser.dropped:
                    state.count_dropped(parser.dropped)
                for item in items:
                    for piece in state.handle(item):
                        yield piece
                    if state.finished:
                        break
                now = loop.time()  # after the consumer ran: its own slowness is not a stall
                if state.took_token():
                    stall_deadline = now + policy.stall_timeout
                if state.finish_reason is not None and finish_deadline == float("inf"):
                    finish_deadline = now + min(FINISH_GRACE, policy.stall_timeout)
                if eof:
                    break
            if state.finished:
                await self._drain(chunks, reads, loop.time() + DRAIN_GRACE)
            state.check_complete()
            yield Done(state.finish_reason, state.usage, state.model)
        finally:
            reads.close()
            if chunks is not None:
                with contextlib.suppress(Exception):
                    await chunks.aclose()  # type: ignore[attr-defined]
            if response is not None:
                with contextlib.suppress(Exception):
                    await response.aclose()

    async def _json_answer(self, response: Reply, policy: Policy,
                           reads: ReadDeadline) -> list[AnswerItem]:
        """A whole (non-streamed) answer: reasoning, content and tool calls as pieces, then Done."""
        body, problem = await self._read_body(response, ANSWER_BODY_LIMIT, policy.stall_timeout, reads)
        if problem:
            raise _failed(K.INTERRUPTED, f"response body {problem}")
        try:
            data = _loads(body)
        except (ValueError, RecursionError):
            raise _failed(K.PROTOCOL, "malformed JSON response") from None
        state = self.adapter.stream_state(self.name, response.status_code, response.headers, self._clock.wall())
        return state.json_answer(data)

    @staticmethod
    async def _drain(chunks: AsyncIterator[bytes], reads: ReadDeadline, deadline: float) -> None:
        """Read the tail after [DONE] briefly (bounded by the stream's own read deadline, no new
        timer), so a well-behaved connection returns to the pool."""
        with contextlib.suppress(Exception):
            seen = 0
            while (chunk := await reads.next(chunks, deadline)) is not None:
                seen += len(chunk)
                if seen > ERROR_BODY_LIMIT:
                    break

    # -- metadata (GET) ---------------------------------------------------------------------

    async def get_json(self, path: str, timeout: float, what: str = "response") -> Any:
        """GET {base_url}{path} as JSON, all of it within `timeout`; raises ProviderError like `chat`
        (an error object in the body, a bad status, garbage, a hang: each one kind)."""
        return (await self.get_json_reply(path, timeout, what))[0]

    async def get_json_reply(self, path: str, timeout: float, what: str = "response") -> tuple[Any, Mapping[str, str]]:
        """`get_json` with the response's headers (`doctor` reads the provider's `Date`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        response = await self._open("GET", path, deadline, timeout, accept="application/json",
                                    budget=f"{timeout:g}s")
        try:
            async with asyncio.timeout_at(deadline):
                if not 200 <= response.status_code < 300:
                    raise await self._fail_status(response, timeout)
                body, problem = await self._read_body(response, ANSWER_BODY_LIMIT, timeout)
            if problem:
                raise _failed(K.PROTOCOL, f"{what} {problem}")
            try:
                data = _loads(body)
            except (ValueError, RecursionError):
                raise _failed(K.PROTOCOL, f"malformed JSON {what}") from None
            if isinstance(data, dict) and isinstance(data.get("error"), (dict, str)):
                raise ProviderError(self.adapter.classify_error(data["error"], response.status_code,
                                                                response.headers, self._clock.wall()))
            return data, response.headers
        except TimeoutError:
            raise _failed(K.TIMEOUT, f"{what} not received within {timeout:g}s") from None
        finally:
            with contextlib.suppress(Exception):
                await response.aclose()

    async def listing(self, timeout: float) -> dict[str, Listed]:
        """The provider's model listing, every page of it, by the id a chat sends; all within
        `timeout`. Raises ProviderError like `chat`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        out: dict[str, Listed] = {}
        page: str | None = None
        for _ in range(MAX_LISTING_PAGES):
            left = deadline - loop.time()
            if left <= 0:
                raise _failed(K.TIMEOUT, f"model list not received within {timeout:g}s")
            models, page = self.adapter.parse_listing(
                await self.get_json(self.adapter.listing_path(page), left, "model list"))
            out.update(models)
            if page is None:
                break
        return out

    async def list_models(self, timeout: float) -> list[str]:
        """The ids of the provider's listing. Raises ProviderError like `chat`."""
        return list(await self.listing(timeout))

    async def aclose(self) -> None:
        """Close the pooled connections."""
        if self._http is not None:
            client, self._http = self._http, None
            await client.aclose()
