"""Simulated providers as an httpx transport (docs/architecture.md §5).

`SimulatorTransport` speaks the providers' wire formats the way real providers do: OpenAI-compatible
Chat Completions (SSE chunks, usage chunk, `[DONE]`, OpenRouter's keep-alive comments and in-stream
error chunks), Anthropic Messages and Gemini generateContent, chosen by the request's path
(sim/wires.py spells each), with each API's error bodies. So the real client stack runs unchanged
on it: `--demo` and most tests use it instead of the network. Behaviours are scripted per model id
(see sim_behaviours), whatever API the model is asked through.

Timing is real: the body is an async byte stream that sleeps between chunks, so time to first
token and token rate can be measured; `speed` divides every simulated delay (not the advertised
Retry-After values, nor Timeline times, which follow the injected clock). Like a real silent
server, a gap longer than the request's read timeout raises `httpx.ReadTimeout`.

Output is deterministic: the same seed and the same request order give byte-identical responses.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from tui.engine.clock import Clock, SystemClock
from tui.engine.sim.behaviours import (
    Answer, Behaviour, CutMidStream, ErrorChunk,
    ErrorReply, Hang, Healthy, MalformedLine,
)
from tui.engine.sim.script import (
    NodeState, PickContext, resolve,
)
from tui.engine.sim.catalog import Account, Listing, endpoints_body, key_body, models_body
from tui.engine.sim.text import answer_tokens, last_user_text, prompt_tokens
from tui.engine.sim.wires import OPENAI, Writer, chat_api, error_reply, gemini_model, listing, listing_api, \
    request_facts, writer_for


CREATED = 1_800_000_000  # a fixed `created` stamp: output must not depend on the wall clock


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json_response(status: int, body: Any, headers: Mapping[str, str] | None = None
                   ) -> httpx.Response:
    return _bytes_response(status, _dumps(body), {"content-type": "application/json",
                                                  **(headers or {})})


def _bytes_response(status: int, content: bytes, headers: Mapping[str, str]) -> httpx.Response:
    """An unread body, as a network transport returns it (so `client.stream()` works too)."""
    return httpx.Response(status, headers={**headers, "content-length": str(len(content))},
                          stream=httpx.ByteStream(content))


class _SimStream(httpx.AsyncByteStream):
    """Wraps an async generator as a response body; closing the response closes the generator."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks:
            yield chunk

    async def aclose(self) -> None:
        await self._chunks.aclose()  # type: ignore[attr-defined]


class _Pacer:
    """Waits `seconds / speed` on a schedule rather than sleeping each gap, so thousands of tiny
    gaps at high speed cost no more than their sum. A gap longer than the request's read timeout
    raises httpx.ReadTimeout, as a silent server does.
    """

    def __init__(self, speed: float, request: httpx.Request) -> None:
        self.speed, self.request = speed, request
        self.due = asyncio.get_running_loop().time()

    async def wait(self, seconds: float) -> None:
        real = seconds / self.speed
        timeout = self.request.extensions.get("timeout", {}).get("read")
        if timeout is not None and real > timeout:
            await asyncio.sleep(timeout)
            raise httpx.ReadTimeout("simulated read timeout: the provider went silent",
                                    request=self.request)
        if math.isinf(real):
            await asyncio.Event().wait()
        now = asyncio.get_running_loop().time()
        self.due = max(self.due, now - 0.05) + real  # a slow reader may lag, never earns a burst
        await asyncio.sleep(max(0.0, self.due - now))


class _Plan:
    """Everything decided up front for one answer, so the byte stream is a pure replay."""

    def __init__(self, model: str, leaf: Answer, tokens: list[str], finish: str,
                 fault: bool, gen_id: str, rng: random.Random, prompt: int,
                 keepalive: tuple[int | None, float] | None, writer: Writer,
                 pacer: _Pacer, listing: Listing | None = None) -> None:
        self.model, self.leaf, self.tokens, self.finish = model, leaf, tokens, finish
        self.fault_at = leaf.fault_at() if fault else None
        self.gen_id, self.rng, self.prompt = gen_id, rng, prompt
        self.keepalive, self.writer, self.wait = keepalive, writer, pacer.wait
        self.listing = listing

    def usage(self, completion: int) -> dict[str, Any]:
        usage: dict[str, Any] = {"prompt_tokens": self.prompt, "completion_tokens": completion,
                                 "total_tokens": self.prompt + completion}
        cost = None if self.listing is None else self.listing.cost(self.prompt, completion)
        if cost is not None:
            usage["cost"] = cost  # OpenRouter reports the answer's price with its usage
        return usage


class SimulatorTransport(httpx.AsyncBaseTransport):
    """An httpx transport that plays scripted provider behaviours, keyed by model id.

    `requests` records `(model, path)` for every request (model is None for `GET /models`), so
    tests can assert that a model got no request. `catalog` is what the provider publishes about
    its models (`GET /models`, `GET /models/{id}/endpoints`, and the price behind `usage.cost`);
    without one, the scripted models are listed with an 8k context and no price. `account` is what
    `GET /key` tells about the key (sent without a key, that call is refused, as OpenRouter does).
    """

    def __init__(self, scripts: Mapping[str, Behaviour], *, default: Behaviour = Healthy(),
                 seed: int = 0, clock: Clock | None = None, speed: float = 1.0,
                 catalog: Mapping[str, Listing] | None = None, account: Account | None = None) -> None:
        if not speed > 0:
            raise ValueError("speed must be positive")
        self.scripts: dict[str, Behaviour] = dict(scripts)
        self.catalog: dict[str, Listing] = dict(catalog) if catalog is not None else {
            model: Listing(context_length=8192) for model in scripts}
        self.account = account if account is not None else Account()  # no limit on the key
        self.default = default
        self.seed = seed
        self.clock: Clock = clock or SystemClock()
        self.speed = speed
        self.requests: list[tuple[str | None, str]] = []
        self._states: dict[tuple[str, int], NodeState] = {}
        self._served: dict[str, int] = {}

    def set_script(self, model: str, behaviour: Behaviour) -> None:
        """Change one model's behaviour from now on (counters of the new script start fresh)."""
        self.scripts[model] = behaviour

    def request_count(self, model: str) -> int:
        """Chat requests this model has received."""
        return self._served.get(model, 0)

    # ---- dispatch ------------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path.rstrip("/").endswith("/models"):
            self.requests.append((None, path))
            return _json_response(200, listing(listing_api(path, request.headers), self.catalog, path, models_body))
        if request.method == "GET" and path.rstrip("/").endswith("/key"):
            self.requests.append((None, path))
            if not request.headers.get("authorization", "").removeprefix("Bearer ").strip():
                return _json_response(401, {"error": {"code": 401, "message": "No auth credentials found"}})
            return _json_response(200, key_body(self.account))
        if request.method == "GET" and path.rstrip("/").endswith("/endpoints") and "/models/" in path:
            self.requests.append((None, path))
            model = path.rstrip("/").split("/models/", 1)[1].rsplit("/endpoints", 1)[0]
            if model not in self.catalog:
                return _json_response(404, {"error": {"code": 404, "message": "Model not found"}})
            return _json_response(200, endpoints_body(model, self.catalog[model]))
        api = chat_api(request.method, path)
        if api is not None:
            try:
                body = json.loads(await request.aread())
            except ValueError:
                return _json_response(400, {"error": {"code": 400, "message": "Invalid JSON"}})
            if not isinstance(body, dict):
                body = {}
            model = gemini_model(path) if api != OPENAI and "model" not in body else body.get("model")
            if not isinstance(model, str) or not model:
                self.requests.append((None, path))
                return _json_response(400, {"error": {"code": 400,
                                                      "message": "`model` is required"}})
            self.requests.append((model, path))
            return await self._chat(request, body, model, api)
        return _json_response(404, {"error": {"code": 404, "message": f"No route {path}"}})

    async def _chat(self, request: httpx.Request, body: dict[str, Any], model: str, api: str
                    ) -> httpx.Response:
        number = self._served[model] = self._served.get(model, 0) + 1
        messages, streamed, max_tokens = request_facts(api, request.url.path, body)
        max_tokens = max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else None
        ctx = PickContext(model=model, seed=self.seed, now=self.clock.monotonic(),
                          max_tokens=max_tokens, states=self._states)
        leaf = resolve(self.scripts.get(model, self.default), ctx)
        if isinstance(leaf, ErrorReply):
            return _json_response(*error_reply(api, leaf, model))
        assert isinstance(leaf, Answer)
        pacer = _Pacer(self.speed, request)
        if isinstance(leaf, Hang) and leaf.after_tokens is None:
            await pacer.wait(math.inf)
        rng = random.Random(f"{self.seed}:{model}:{number}")
        gen_id = f"gen-sim-{rng.getrandbits(48):012x}"
        tokens = answer_tokens(model, last_user_text(messages), rng, leaf.answer_tokens)
        finish = "stop"
        if max_tokens is not None and len(tokens) > max_tokens:
            tokens, finish = tokens[:max_tokens], "length"
        at = leaf.fault_at()
        fault = at is not None and at <= len(tokens)
        if fault and isinstance(leaf, CutMidStream):  # `times` counts cuts actually made
            state = ctx.state(leaf)
            fault = leaf.times is None or state.fired < leaf.times
            state.fired += fault
        stream_opts = body.get("stream_options")
        include_usage = isinstance(stream_opts, dict) and stream_opts.get("include_usage") is True
        writer = writer_for(api, model, gen_id, CREATED, include_usage)
        plan = _Plan(model, leaf, tokens, finish, fault, gen_id, rng, prompt_tokens(messages), ctx.keepalive,
                     writer, pacer, self.catalog.get(model))
        if streamed:
            headers = {"content-type": "text/event-stream; charset=utf-8",
                       "cache-control": "no-cache", "x-generation-id": gen_id}
            chunks = self._sse(request, plan)
            if leaf.fragment:
                chunks = self._fragmented(chunks, plan.rng)
            return httpx.Response(200, headers=headers, stream=_SimStream(chunks))
        return await self._completion(request, plan)

    # ---- bodies --------------------------------------------------------------------------

    async def _sse(self, request: httpx.Request, plan: _Plan) -> AsyncIterator[bytes]:
        """The event stream: keep-alives, role delta, tokens, the fault or finish/usage/[DONE]."""
        leaf, tokens = plan.leaf, plan.tokens
        waited = 0.0
        first_delay = leaf.first_token_delay()
        comments, interval = plan.keepalive or (0, 0.0)
        sent = 0
        writer = plan.writer
        while comments != 0:  # a comment at once, then every `interval` s
            yield writer.keepalive()
            sent += 1
            if sent == comments or (comments is None and waited + interval >= first_delay):
                break
            await plan.wait(interval)
            waited += interval
        if not (plan.fault_at == 0 and isinstance(leaf, ErrorChunk)):  # else: error chunk only
            yield writer.opening()
        await plan.wait(max(0.0, first_delay - waited))
        for i in range(len(tokens) + 1):
            if i == plan.fault_at:
                if isinstance(leaf, MalformedLine):
                    for n in range(leaf.count):
                        yield writer.malformed(n)
                elif isinstance(leaf, ErrorChunk):
                    yield writer.error_event(leaf.code, leaf.message, leaf.done)
                    return
                elif isinstance(leaf, Hang):
                    await plan.wait(math.inf)
                elif isinstance(leaf, CutMidStream):
                    if leaf.clean:
                        return
                    raise httpx.RemoteProtocolError(
                        "peer closed connection without sending complete message body "
                        "(incomplete chunked read)", request=request)
            if i == len(tokens):
                break
            if i:
                await plan.wait(1.0 / leaf.tokens_per_s)
            yield writer.token(tokens[i])
        yield writer.finish(plan.finish, plan.usage(len(tokens)))

    @staticmethod
    async def _fragmented(chunks: AsyncIterator[bytes], rng: random.Random
                          ) -> AsyncIterator[bytes]:
        """Split each write at random byte offsets (possibly inside a UTF-8 character)."""
        try:
            async for chunk in chunks:
                cuts = sorted(rng.sample(range(1, len(chunk)), min(2, len(chunk) - 1)))
                for start, end in zip([0, *cuts], [*cuts, len(chunk)], strict=True):
                    yield chunk[start:end]
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]

    async def _completion(self, request: httpx.Request, plan: _Plan) -> httpx.Response:
        """A non-streamed answer: one wait for the whole body, then JSON (or the fault)."""
        leaf, tokens = plan.leaf, plan.tokens
        shown = len(tokens) if plan.fault_at is None else min(plan.fault_at, len(tokens))
        await plan.wait(leaf.first_token_delay() + max(0, shown - 1) / leaf.tokens_per_s)
        if plan.fault_at is not None and isinstance(leaf, Hang):
            await plan.wait(math.inf)
        if plan.fault_at is not None and isinstance(leaf, ErrorChunk):
            status, error = plan.writer.error_body(leaf.code, leaf.message)
            return _json_response(status, error, {"x-generation-id": plan.gen_id})
        body = _dumps(plan.writer.body("".join(tokens), plan.finish, plan.usage(len(tokens))))
        headers = {"content-type": "application/json", "x-generation-id": plan.gen_id}
        if plan.fault_at is not None and isinstance(leaf, CutMidStream):
            return httpx.Response(200, headers=headers,
                                  stream=_SimStream(self._cut_body(body, leaf, request)))
        return _bytes_response(200, body, headers)

    @staticmethod
    async def _cut_body(body: bytes, leaf: CutMidStream, request: httpx.Request
                        ) -> AsyncIterator[bytes]:
        yield body[: len(body) // 2]
        if not leaf.clean:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete "
                                            "message body", request=request)
