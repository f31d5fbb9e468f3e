"""The TUI under bad input, against the real loopback server (and the simulator for sheer size).

tests/tui covers the happy paths and, with the simulator, "every model down" and Esc. Here the same
situations go through real sockets, plus: a resize to 80×24 (and below the minimum) and back while
an answer streams, 200 models in one group, a 100 KB prompt, and invalid UTF-8 inside a provider's
stream. None may crash the app, and what is on screen must be right.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from faultserver import Json, Reset, Stream, error_json
from textual.widgets import Markdown

from reliability_kit import (CANARY, GOOD_TEXT, GOOD_TOKENS, chat_done, isolate_tui, matrix_engine, send_prompt,
                             tui_app, wait_for)
from tui.engine.api import ModelFallback
from tui.engine.clock import FakeClock
from tui.engine.config.loader import load_config
from tui.engine.sim import Healthy, SimulatorTransport, Unavailable
from tui.widgets.answer import AnswerView

SIZE = (140, 45)
# A streamed answer with pauses between tokens, as real ones have: Pilot's key presses and resizes wait
# for the app to go idle (up to 1 s), which a stream with no gaps at all would never let happen.
SLOW = [f"w{i} " for i in range(30)]
GAP = 0.05
EASY = {"ttft": 3.0, "stall": 3.0, "connect": 3.0}  # budgets are not under test here; a busy machine is


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    isolate_tui(monkeypatch, tmp_path)


def answers(app) -> list[AnswerView]:
    return list(app.main.chat.query(AnswerView))


async def test_every_model_down_over_real_sockets_keeps_the_prompt(loop_server, tmp_path: Path) -> None:
    loop_server.script("bad", Reset())
    loop_server.script("good", error_json(503, "overloaded"))
    engine = matrix_engine(tmp_path, loop_server.base_url, **EASY)
    app = tui_app(engine, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send_prompt(pilot, "is anyone there?")
        await chat_done(pilot)
        chat = app.main.chat
        answer = answers(app)[0]
        assert answer.has_class("-failed") and answer.model is None
        assert answer.trail == "bad connection → retried · bad connection → out 0:10 · good 503 → out 0:10"
        assert "every model in 'first' failed" in answer.note and "prompt is back" in str(
            answer.query_one(".answer-note").content)
        assert chat.prompt.value == "is anyone there?" and chat.history == []
        # Enter again at once: every model is out, so nothing reaches the network; the chat counts
        # down to the first one back (and would send then); Esc cancels and the prompt stays.
        before = len(loop_server.requests)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(answers(app)) == 2 and "is back in 0:1" in str(
            answers(app)[1].query_one(".answer-header").content), what="the countdown")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not chat.busy, what="the stop")
        assert answers(app)[1].has_class("-stopped")
        assert chat.prompt.value == "is anyone there?" and len(loop_server.requests) == before
        app.main.tick()
        assert "group first → no model available" in app.main.status_bar.content.plain
    await engine.aclose()
    assert await loop_server.wait_connections(0)


async def test_escape_mid_stream_closes_the_socket_and_disables_nothing(loop_server, tmp_path: Path) -> None:
    loop_server.script("bad", Stream(tokens=SLOW, delay=GAP))
    engine = matrix_engine(tmp_path, loop_server.base_url, **EASY)
    app = tui_app(engine, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send_prompt(pilot, "a long one")
        chat = app.main.chat
        await wait_for(pilot, lambda: answers(app) and answers(app)[0].parts and
                       len(answers(app)[0].parts[0][1]) >= 5, what="a few tokens")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not chat.busy, what="the stop")
        answer = answers(app)[0]
        assert answer.has_class("-stopped") and "stopped" in str(answer.query_one(".answer-header").content)
        shown = "".join(answer.parts[0][1])
        assert shown.startswith("w0 w1 w2 w3 w4 ") and len(shown) < len("".join(SLOW))
        assert chat.prompt.value == "a long one" and chat.history == []
        assert await loop_server.wait_connections(0, timeout=2.0)  # the stream was closed, not abandoned
        assert engine.status("bad").usable and engine.store.data["models"] == {}  # Esc blames no model
        assert loop_server.requests_for("good") == []
    await engine.aclose()


async def test_resize_to_80x24_and_below_and_back_while_streaming(loop_server, tmp_path: Path) -> None:
    loop_server.script("bad", Stream(tokens=SLOW, delay=GAP))
    engine = matrix_engine(tmp_path, loop_server.base_url, **EASY)
    app = tui_app(engine, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send_prompt(pilot, "stream while I resize")
        chat = app.main.chat
        await wait_for(pilot, lambda: answers(app) and answers(app)[0].parts, what="the first token")
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.1)
        assert app.size == (80, 24) and not app.main.has_class("-too-small")
        assert chat.busy  # still streaming
        await pilot.resize_terminal(60, 20)  # below the minimum: a message instead of a broken layout
        await pilot.pause(0.1)
        assert app.main.has_class("-too-small")
        assert "needs at least 80×24" in str(app.main.query_one("#too-small").content)
        await pilot.resize_terminal(*SIZE)
        await chat_done(pilot, timeout=15)
        assert not app.main.has_class("-too-small")
        answer = answers(app)[0]
        assert answer.model == "bad" and answer.text == "".join(SLOW)  # nothing lost across the resizes
        body = answer.query_one(Markdown)
        assert body.source == "".join(SLOW)
        assert chat.history[-1].content == "".join(SLOW)
    await engine.aclose()


def big_engine(tmp_path: Path, n: int, scripts: dict) -> ModelFallback:
    names = [f"vendor/model-{i:03d}" for i in range(n)]
    path = tmp_path / "groups.yaml"
    path.write_text("providers:\n  sim: {base_url: 'http://sim.invalid/v1', api_key_env: SIM_KEY}\n"
                    f"groups:\n  huge: [{', '.join(names)}]\n  small: [{names[0]}, {names[-1]}]\n"
                    "policy: {ttft_timeout: 5s, stall_timeout: 5s}\n")
    clock = FakeClock()
    transport = SimulatorTransport(scripts, default=Healthy(ttft=0.001, tokens_per_s=5000, answer_tokens=8),
                                   clock=clock)
    return ModelFallback(load_config(path), state_path=tmp_path / "state.json", clock=clock, transport=transport,
                         env={"SIM_KEY": CANARY})


async def test_200_models_in_one_group(tmp_path: Path) -> None:
    n = 200
    names = [f"vendor/model-{i:03d}" for i in range(n)]
    engine = big_engine(tmp_path, n, {name: Unavailable() for name in names[:5]})
    for name in names[5:199]:
        engine.disable(name, 600, reason="out of the way")  # so the chain walks the whole group
    app = tui_app(engine, tmp_path)
    start = time.monotonic()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first_screen = time.monotonic() - start
        assert app.main.models.row_count == n
        await send_prompt(pilot, "who is left?")
        await chat_done(pilot, timeout=20)
        answer = answers(app)[0]
        assert answer.model == names[-1]  # five failures, 194 skips, the last one answers
        assert answer.trail.count("→ out 0:10") == 5 and answer.trail.count("skipped") == 194
        assert answer.trail.endswith(("tok", " s")) and "answered by model-199" in answer.trail
        tick_start = time.monotonic()
        app.main.tick()
        tick = time.monotonic() - tick_start
        assert app.main.models.get_cell(names[0], "status").plain == "✕ disabled"
        await pilot.press("ctrl+g")  # switch groups and back: the panel holds 200 rows
        await pilot.press("ctrl+g")
        await pilot.pause()
    print(f"\n200 models: first screen {first_screen:.2f}s, one status tick {tick * 1000:.0f} ms")
    assert tick < 1.0  # the 1 Hz tick must fit in its second


async def test_a_100_kb_prompt_is_sent_whole_and_shown(loop_server, tmp_path: Path) -> None:
    prompt = ("0123456789abcdef" * 64 + "\n") * 100  # ~100 KB, many lines
    prompt = prompt.replace("\n", " ").strip() + " END"
    loop_server.script("bad", Stream(tokens=GOOD_TOKENS))
    engine = matrix_engine(tmp_path, loop_server.base_url, **EASY)
    app = tui_app(engine, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        start = time.monotonic()
        await send_prompt(pilot, prompt)
        await chat_done(pilot, timeout=20)
        took = time.monotonic() - start
        answer = answers(app)[0]
        assert answer.model == "bad" and answer.text == GOOD_TEXT
        sent = loop_server.requests_for("bad")[0].json["messages"]
        assert sent == [{"role": "user", "content": prompt}]  # not truncated, not altered
        shown = app.main.chat.query(".user").first()
        assert str(shown.content) == prompt
        assert app.main.chat.prompt.value == ""
        assert app.main.chat.history[0].content == prompt
    print(f"\n100 KB prompt: sent, answered and shown in {took:.2f}s")
    await engine.aclose()


INVALID = (b'data: {"choices":[{"index":0,"delta":{"content":"caf\xe9 "}}]}\n\n'
           b'data: {"choices":[{"index":0,"delta":{"content":"\xff\xfe bytes \xc3"}}]}\n\n'
           b'data: {"choices":[{"index":0,"delta":{"content":" and \xf0\x9f\x98\x80 fine"}}]}\n\n'
           b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
           b"data: [DONE]\n\n")


async def test_invalid_utf8_from_a_provider_is_shown_with_replacement_characters(loop_server,
                                                                                  tmp_path: Path) -> None:
    loop_server.script("bad", Json(200, INVALID, content_type="text/event-stream"))
    engine = matrix_engine(tmp_path, loop_server.base_url, **EASY)
    app = tui_app(engine, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await send_prompt(pilot, "say something odd")
        await chat_done(pilot)
        answer = answers(app)[0]
        assert answer.model == "bad"
        assert answer.text == "caf\ufffd \ufffd\ufffd bytes \ufffd and \U0001F600 fine"
        assert answer.query_one(Markdown).source == answer.text
        app.save_screenshot(path=str(tmp_path), filename="utf8.svg")  # rendering it does not crash either
        assert "fine" in (tmp_path / "utf8.svg").read_text()
    await engine.aclose()


@pytest.mark.parametrize("stream", [True, False])
async def test_invalid_utf8_answer_through_the_engine(loop_server, tmp_path: Path, stream: bool) -> None:
    """The streamed and the non-streamed path treat a stray invalid byte the same way: replaced, kept."""
    body = {"id": "x", "model": "bad", "choices": [{"index": 0, "message": {"role": "assistant", "content": "@@"},
                                                     "finish_reason": "stop"}]}
    raw = json.dumps(body).encode().replace(b"@@", b"caf\xe9 ok")
    loop_server.script("bad", Json(200, INVALID, content_type="text/event-stream") if stream else Json(200, raw))
    engine = matrix_engine(tmp_path, loop_server.base_url, **EASY)
    try:
        answer = await engine.ask("first", "hi", stream=stream)
        assert answer.model == "bad"
        assert answer.content == ("caf\ufffd \ufffd\ufffd bytes \ufffd and \U0001F600 fine" if stream
                                  else "caf\ufffd ok")
    finally:
        await engine.aclose()
