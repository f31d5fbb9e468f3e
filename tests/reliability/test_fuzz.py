"""Property-based bad input, where the unit suites stop.

tests/unit/test_sse.py already fuzzes the SSE parser with arbitrary bytes and splits, and
tests/unit/test_classify.py the classifier with arbitrary statuses, JSON and bytes. Added here:
- the answer state machine (StreamState) fed arbitrary SSE items and JSON chunks;
- the whole provider client on arbitrary response bytes, statuses, headers and chunkings:
  it yields Deltas then one Done, or raises ProviderError with a FailureKind — nothing else;
- classify_exception on arbitrary exception types and messages;
- the config loader on *mutations of a valid groups.yaml* (not just random structures): every
  error is `file:line: ...`, one line, never a traceback — directly and through the CLI;
- CLI argument lists through `tui.cli.main` in-process: exit 0/1/2, never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import socket
import sys
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tui.cli
import tui.cli.common
import tui.cli.interactive
from tui.engine.provider.transport_errors import classify_exception
from tui.engine.conversation import ToolCallDelta
from tui.engine.provider.client import Delta, Done, ProviderClient
from tui.engine.config import ConfigError, Policy, ProviderConfig
from tui.engine.config.loader import load_config
from tui.engine.events import ChatMessage, ChatRequest
from tui.engine.failures import FailureKind, ProviderError
from tui.engine.provider.sse import SSEComment, SSEEvent
from tui.engine.provider.openai import OpenAIStream

from reliability_kit import CANARY

FAST = Policy(connect_timeout=0.5, ttft_timeout=0.5, stall_timeout=0.5)

# -- JSON that looks like OpenAI-compatible chunks, and isn't quite ------------------------------------

_KEYS = st.sampled_from(["choices", "delta", "message", "content", "reasoning", "reasoning_content",
                         "finish_reason", "index", "error", "code", "message", "type", "object", "usage",
                         "prompt_tokens", "completion_tokens", "model", "metadata", "role", "status"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 600), st.floats(allow_nan=True),
                     st.text(max_size=12), st.sampled_from(["stop", "error", "length", "content_filter", "error",
                                                            "chat.completion.chunk", "[DONE]"]))
_JSON = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(_KEYS | st.text(max_size=4), inner,
                                                                       max_size=4)), max_leaves=20)
_ITEMS = st.lists(st.one_of(
    st.builds(SSEEvent, st.one_of(_JSON.map(lambda v: json.dumps(v)), st.text(max_size=40),
                                  st.just("[DONE]")), st.sampled_from([None, "error", "message", "x"])),
    st.builds(SSEComment, st.text(max_size=10))), max_size=12)


@settings(max_examples=400, deadline=None)
@given(_ITEMS)
def test_stream_state_on_any_items_raises_only_provider_errors(items) -> None:
    state = OpenAIStream("fuzz", 200, {}, 1_800_000_000.0)
    try:
        for item in items:
            for piece in state.handle(item):
                assert isinstance(piece, (Delta, ToolCallDelta))
                if isinstance(piece, Delta):
                    assert isinstance(piece.text, str) and piece.text and isinstance(piece.reasoning, bool)
            if state.finished:
                break
        state.check_complete()
    except ProviderError as exc:
        assert isinstance(exc.failure.kind, FailureKind)
        assert exc.partial == state.partial  # what the user saw is exactly the content so far
        return
    assert state.partial or state.any_token  # a completion is never empty


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_non_streamed_body_of_any_shape(data) -> None:
    state = OpenAIStream("fuzz", 200, {}, 1_800_000_000.0)
    try:
        items = state.json_answer(data)
    except ProviderError as exc:
        assert isinstance(exc.failure.kind, FailureKind)
    else:
        assert isinstance(items[-1], Done)
        assert any(isinstance(i, (Delta, ToolCallDelta)) for i in items[:-1])


# -- the whole client on arbitrary bytes ----------------------------------------------------------------

class Chunks(httpx.AsyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    async def __aiter__(self):
        for piece in self.pieces:
            yield piece


SSE_PIECES = st.sampled_from([
    b"data: ", b'{"choices":[{"delta":{"content":"hi"}}]}', b'{"choices":[{"delta":{"role":"assistant"}}]}',
    b'{"choices":[{"delta":{},"finish_reason":"stop"}]}', b'{"error":{"code":429,"message":"slow"}}',
    b"[DONE]", b"\n\n", b"\r\n", b"\n", b": OPENROUTER PROCESSING\n\n", b"event: error\n", b"\xff\xfe",
    b"\xe2\x82", b"{", b"data:", b'"', b" ", b"}", b"]"]) | st.binary(max_size=20)
CONTENT_TYPES = st.sampled_from(["text/event-stream", "application/json", "text/html", "", "text/plain"])
HEADERS = st.dictionaries(st.sampled_from(["retry-after", "retry-after-ms", "x-ratelimit-reset", "location"]),
                          st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
                          max_size=2)


async def _chat(status: int, content_type: str, headers: dict, pieces: list[bytes], stream: bool):
    def handler(request: httpx.Request) -> httpx.Response:
        h = {**headers, **({"content-type": content_type} if content_type else {})}
        return httpx.Response(status, headers=h, stream=Chunks(pieces))

    client = ProviderClient(ProviderConfig("fuzz", "http://fuzz.test/v1", "K"), env={"K": CANARY},
                            transport=httpx.MockTransport(handler))
    items: list = []
    try:
        async for item in client.chat("m", ChatRequest([ChatMessage("user", "hi")], stream=stream), FAST):
            items.append(item)
        return items, None
    except ProviderError as exc:
        return items, exc
    finally:
        await client.aclose()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([200, 200, 200, 201, 204, 301, 400, 401, 403, 404, 408, 429, 500, 502, 503, 529, 599]),
       CONTENT_TYPES, HEADERS, st.lists(SSE_PIECES, max_size=25), st.booleans())
def test_client_on_any_response_yields_deltas_then_done_or_a_provider_error(status, content_type, headers,
                                                                             pieces, stream) -> None:
    items, error = asyncio.run(_chat(status, content_type, headers, pieces, stream))
    deltas = [i for i in items if isinstance(i, Delta)]
    assert all(isinstance(i, (Delta, Done)) for i in items)
    if error is None:
        assert 200 <= status < 300
        assert isinstance(items[-1], Done) and [i for i in items if isinstance(i, Done)] == [items[-1]]
        assert deltas  # never an empty answer
    else:
        assert isinstance(error.failure.kind, FailureKind)
        assert not any(isinstance(i, Done) for i in items)  # a failure never ends in Done
        assert error.partial == "".join(d.text for d in deltas if not d.reasoning)
        assert CANARY not in str(error) and CANARY not in error.failure.detail
        assert len(error.failure.detail) <= 200


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([OSError, ConnectionResetError, TimeoutError, ValueError, UnicodeDecodeError, KeyError,
                        RuntimeError, httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError,
                        httpx.ReadTimeout, httpx.LocalProtocolError, httpx.DecodingError, httpx.InvalidURL,
                        asyncio.CancelledError, ZeroDivisionError]),
       st.text(max_size=60), st.booleans())
def test_classify_exception_of_any_type_and_message(cls, message, chained) -> None:
    try:
        exc = cls("utf-8", b"\xff", 0, 1, message) if cls is UnicodeDecodeError else cls(message + CANARY)
    except TypeError:
        exc = cls()
    if chained:
        exc.__cause__ = ConnectionResetError(f"Bearer {CANARY}")
    failure = classify_exception(exc)
    assert isinstance(failure.kind, FailureKind) and CANARY not in failure.detail


# -- the config loader on mutations of a real groups.yaml --------------------------------------------------

VALID = """\
# a block-style config using most of the schema
providers:
  openrouter:
    base_url: https://openrouter.ai/api/v1
    api_key_env: OPENROUTER_API_KEY
    headers:
      X-Title: modelfallback
  ollama:
    base_url: http://localhost:11434/v1
    probe: models
default_provider: openrouter
groups:
  coding:
    - anthropic/claude-3.5-sonnet
    - id: o1-mini
      ttft_timeout: 60s
    - {id: qwen2.5-coder, provider: ollama}
  fast: [anthropic/claude-3-haiku, openai/gpt-3.5-turbo]
policy:
  connect_timeout: 5s
  ttft_timeout: 20s
  stall_timeout: 10s
  cooldown:
    base: 10s
    factor: 2
    max: 5m
  manual_disable: 5m
  retry_after_wait: 5s
health:
  interval: 2m
  timeout: 5s
  probe: completion
"""
LINE_REF = re.compile(r"^.+:\d+: ")
NOISE = st.sampled_from(["", " ", "\t", ":", "- ", "[", "]", "{", "}", "'", '"', "&a", "*a", "<<: *a", "!!python/x",
                         "5s", "-1m", "0", "abc", "~", "null", "[m, m]", "{id: x}", "http://x", "%", "#", "|",
                         ">", "?", "\ufeff", "\x00", "é", "  ", "    ", "1e999", "api_key: sk-x"])


@st.composite
def mutated(draw) -> str:
    lines = VALID.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "insert", "replace-tail", "indent", "dedent", "duplicate"]))
        line = lines[i]
        if op == "delete":
            del lines[i]
        elif op == "insert":
            lines.insert(i, draw(NOISE) + draw(st.text(max_size=6)) + draw(NOISE))
        elif op == "replace-tail":
            cut = draw(st.integers(0, len(line)))
            lines[i] = line[:cut] + draw(NOISE) + draw(NOISE)
        elif op == "indent":
            lines[i] = "  " + line
        elif op == "dedent":
            lines[i] = line[2:] if line.startswith("  ") else line
        else:
            lines.insert(i, line)
        if not lines:
            lines = [""]
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_config_loads_or_names_file_and_line(tmp_path_factory, text: str) -> None:
    path = tmp_path_factory.mktemp("cfg") / "groups.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        load_config(path)
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith(str(path)), message
        assert "\n" not in message and "Traceback" not in message
        if text.strip() and "is empty" not in message:
            assert LINE_REF.match(message), f"no line number: {message}"
        assert "sk-x" not in message  # a pasted key is never echoed


def test_a_mutated_config_through_the_cli_is_exit_2_with_one_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text(VALID.replace("ttft_timeout: 20s", "ttft_timeout: 20 parsecs"))
    code = run_main(["--config", str(path), "--state", str(tmp_path / "s.json"), "status"])
    out = capsys.readouterr()
    assert code == 2 and out.out == ""
    assert re.match(rf"^{re.escape(str(path))}:\d+: policy\.ttft_timeout: ", out.err)
    assert len(out.err.strip().splitlines()) == 1


# -- CLI arguments ------------------------------------------------------------------------------------------

def run_main(argv: list[str], stdin: str = "") -> int:
    """`tui.cli.main` in-process: argparse's SystemExit becomes its code."""
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return tui.cli.main(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        sys.stdin = old_stdin


@pytest.fixture(scope="module")
def argv_world(tmp_path_factory):
    """A config whose only server is a closed port on 127.0.0.1, and a few kinds of state paths."""
    tmp = tmp_path_factory.mktemp("argv")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when this block ends: connections are refused
    config = tmp / "groups.yaml"
    config.write_text(f"""\
providers:
  dead: {{base_url: http://127.0.0.1:{port}/v1, api_key_env: MF_FUZZ_KEY}}
groups:
  g: [m1, vendor/m2]
  h: [m1]
policy: {{connect_timeout: 0.2s, ttft_timeout: 0.2s, stall_timeout: 0.2s}}
health: {{timeout: 0.3s}}
""")
    bad_config = tmp / "bad.yaml"
    bad_config.write_text("providers: {}\ngroups: []\n")
    (tmp / "dir").mkdir()
    (tmp / "dir" / "keep.txt").write_text("precious")
    (tmp / "a-file").write_text("x")
    return {"CONFIG": str(config), "BAD_CONFIG": str(bad_config), "STATE": str(tmp / "state.json"),
            "STATE_DIR": str(tmp / "dir"), "STATE_DEEP": str(tmp / "new" / "deeper" / "state.json"),
            "BELOW_FILE": str(tmp / "a-file" / "state.json"), "UNWRITABLE": "/proc/modelfallback-fuzz/state.json",
            "MISSING": str(tmp / "nope.yaml"), "CWD": str(tmp)}


WORDS = ["chat", "check", "status", "disable", "enable", "-g", "--group", "--json", "--no-stream", "--for",
         "--until-enabled", "--reason", "--config", "--state", "--theme", "--demo", "--help", "-h", "-", "--",
         "g", "h", "nope", "m1", "vendor/m2", "m2", "5m", "0s", "-5m", "1h30m", "5 parsecs", "", " ", "hi",
         "CONFIG", "BAD_CONFIG", "MISSING", "STATE", "STATE_DIR", "STATE_DEEP", "BELOW_FILE", "UNWRITABLE",
         "--state", "--state", "--for=", "--json=1", "-gg",
         "é", "\x00", CANARY]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["chat", "check", "status", "disable", "enable"]),
       st.lists(st.sampled_from(WORDS) | st.text(max_size=8), max_size=7),
       st.sampled_from([None, "CONFIG", "BAD_CONFIG", "MISSING"]),
       st.sampled_from([None, "STATE", "STATE_DIR", "STATE_DEEP", "BELOW_FILE", "UNWRITABLE"]),
       st.booleans(), st.text(max_size=20))
def test_random_cli_arguments_exit_0_1_or_2_without_a_traceback(argv_world, monkeypatch, command, words, config,
                                                               state, command_first, stdin) -> None:
    monkeypatch.chdir(argv_world["CWD"])  # a relative `--state enable` must land here, not in the repository
    monkeypatch.setenv("MF_FUZZ_KEY", CANARY)
    monkeypatch.setenv("MODELFALLBACK_STATE", argv_world["STATE"])
    monkeypatch.setenv("MODELFALLBACK_CONFIG", argv_world["CONFIG"])
    # An option can swallow the command word (`--config chat`), leaving the TUI to start: stand in for it
    # with its setup (config, state) and no screen.
    monkeypatch.setattr(tui.cli.interactive, "run", lambda args: (tui.cli.common.open_engine(args), 0)[1])
    options = [*(["--config", config] if config else []), *(["--state", state] if state else [])]
    words = [argv_world.get(w, w) for w in [*options, *words]]
    argv = [command, *words] if command_first else [*words[:2], command, *words[2:]]
    if "\x00" in "".join(argv):
        argv = [a.replace("\x00", "") for a in argv]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run_main(argv, stdin)
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"{argv!r} raised {type(exc).__name__}: {exc}")
    assert code in (0, 1, 2), (argv, code, err.getvalue())
    assert "Traceback" not in err.getvalue() and "Traceback" not in out.getvalue()
    if CANARY not in " ".join(argv) + stdin:
        assert CANARY not in out.getvalue() + err.getvalue()  # the key is in the environment only
    if code == 2 and "usage:" not in err.getvalue():
        last = err.getvalue().rstrip("\n").split("\n")[-1]  # "modelfallback: ..." or "<config file>[:line]: ..."
        assert last.startswith("modelfallback: ") or ": " in last, (argv, err.getvalue())
    assert (Path(argv_world["STATE_DIR"]) / "keep.txt").read_text() == "precious"  # never "moved aside"
