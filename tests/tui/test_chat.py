"""The chat pane: failover trail, interrupted answers, Esc, all models down, multi-turn, export."""

from __future__ import annotations

from textual.widgets import Markdown

from tui.engine.sim import (
    ContentPolicy, CutMidStream, Healthy, RateLimited, Sequence, Unavailable,
)
from tui.widgets.answer import AnswerView

from tui_helpers import FAST, SECRET, answer_done, app_for, cell, log_lines, send, sim_engine, wait_until


async def test_prompt_has_focus_and_enter_sends(tmp_path):
    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        assert app.focused is app.main.chat.prompt
        await pilot.press("h", "i", "space", "t", "h", "e", "r", "e", "enter")
        await answer_done(pilot)
        answer = app.main.chat.query_one(AnswerView)
        assert answer.model == "vendor/alpha"
        assert "answered by alpha" in answer.trail
        assert app.main.chat.prompt.value == ""
        assert [m.role for m in app.main.chat.history] == ["user", "assistant"]
        assert app.main.chat.history[0].content == "hi there"


async def test_failover_shows_trail_and_countdown(tmp_path):
    engine = sim_engine(tmp_path, {"vendor/alpha": Unavailable()})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hello")
        await answer_done(pilot)
        answer = app.main.chat.query_one(AnswerView)
        assert answer.model == "vendor/beta"
        assert answer.trail.startswith("alpha 503 → out 0:10 · answered by beta")
        assert "● beta" in str(answer.query_one(".answer-header").content)
        app.main.tick()
        assert cell(app, "vendor/alpha", "status") == "✕ disabled"
        assert cell(app, "vendor/alpha", "out").startswith("0:10")
        assert cell(app, "vendor/alpha", "note").startswith("auto · 503 unavailable")
        engine.clock.advance(4)
        app.main.tick()
        assert cell(app, "vendor/alpha", "out").startswith("0:06")
        assert any("failover in main: alpha 503" in line for line in log_lines(app))
        assert any("alpha out for 0:10: unavailable" in line for line in log_lines(app))


async def test_interrupted_partial_stays_marked_and_answer_restarts(tmp_path):
    engine = sim_engine(tmp_path, {"vendor/alpha": CutMidStream(after_tokens=8, ttft=0.01, tokens_per_s=2000)})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "tell me something")
        await answer_done(pilot)
        answer = app.main.chat.query_one(AnswerView)
        bodies = list(answer.query(Markdown))
        assert len(bodies) == 2
        assert bodies[0].has_class("-interrupted") and not bodies[1].has_class("-interrupted")
        assert bodies[0].source.strip() and bodies[1].source.strip()
        label = answer.query_one(".interrupted-label")
        assert "interrupted" in str(label.content) and "alpha" in str(label.content)
        assert answer.parts[0][2] is True and answer.model == "vendor/beta"
        assert "alpha interrupted → out 0:10" in answer.trail
        # only the finished answer joins the conversation
        assert app.main.chat.history[-1].content == answer.text == bodies[1].source


async def test_escape_stops_the_answer_and_keeps_the_prompt(tmp_path):
    slow = Healthy(ttft=0.01, tokens_per_s=20, answer_tokens=400)
    engine = sim_engine(tmp_path, {"vendor/alpha": slow})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "a long one please")
        chat = app.main.chat
        await wait_until(pilot, lambda: chat.query(Markdown) and chat.query_one(Markdown).source, what="tokens")
        assert app.main.check_action("stop", ()) is True
        await pilot.press("escape")
        await wait_until(pilot, lambda: not chat.busy, what="the stop")
        answer = chat.query_one(AnswerView)
        assert answer.has_class("-stopped")
        assert "stopped" in str(answer.query_one(".answer-header").content)
        assert chat.prompt.value == "a long one please"
        assert chat.history == []
        assert app.main.check_action("stop", ()) is False


async def test_all_models_down_keeps_the_prompt(tmp_path):
    engine = sim_engine(tmp_path, {m: Unavailable() for m in ("vendor/alpha", "vendor/beta", "vendor/gamma")})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "anyone there?")
        await answer_done(pilot)
        chat = app.main.chat
        start = engine.clock.monotonic()
        answer = chat.query_one(AnswerView)
        assert answer.has_class("-failed") and answer.model is None
        assert "every model in 'main' failed" in answer.note
        assert chat.prompt.value == "anyone there?"
        assert chat.history == []
        # a second send while everything is out: the chat counts down to the first model back
        # (it sends by itself then); Esc cancels and the prompt comes back
        chat.prompt.value = ""
        await send(pilot, "still?")
        second = chat.query(AnswerView).last()
        await wait_until(pilot, lambda: "is back in" in str(second._header.content), what="the countdown")
        assert str(second._header.content) == "⧗ alpha is back in 0:10 — sending then; Esc cancels"
        assert chat.busy and engine.clock.monotonic() == start  # waiting, nothing sent
        await pilot.press("escape")
        await wait_until(pilot, lambda: not chat.busy)
        assert second.has_class("-stopped") and chat.prompt.value == "still?"


async def test_multi_turn_sends_the_whole_conversation(tmp_path):
    engine = sim_engine(tmp_path, {})
    seen = []
    original = engine.chat

    def spy(group, messages, **kw):
        seen.append([m.content for m in messages])
        return original(group, messages, **kw)

    engine.chat = spy
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "first")
        await answer_done(pilot)
        await send(pilot, "second")
        await wait_until(pilot, lambda: len(app.main.chat.history) == 4)
        assert seen[0] == ["first"]
        assert seen[1][0] == "first" and seen[1][2] == "second" and len(seen[1]) == 3


async def test_content_policy_offers_the_next_model(tmp_path):
    engine = sim_engine(tmp_path, {"vendor/alpha": ContentPolicy()})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "something flagged")
        await answer_done(pilot)
        chat = app.main.chat
        first = chat.query_one(AnswerView)
        assert first.has_class("-failed") and "content policy" in first.note
        assert chat.query("#try-next") and app.main.check_action("try_next", ()) is True
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: len(chat.query(AnswerView)) == 2 and not chat.busy)
        second = chat.query(AnswerView).last()
        assert second.model == "vendor/beta"
        assert not chat.query("#try-next")
        assert engine.status("vendor/alpha").status != "disabled"  # request-scoped: nothing disabled


async def test_no_next_model_is_offered_after_the_last_one(tmp_path):
    engine = sim_engine(tmp_path, {"vendor/gamma": ContentPolicy()}, groups={"main": ["vendor/gamma"]})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "flagged")
        await answer_done(pilot)
        chat = app.main.chat
        assert "content policy" in chat.query_one(AnswerView).note
        assert not chat.query("#try-next") and not chat.can_try_next


async def test_try_next_button_works_by_mouse(tmp_path):
    engine = sim_engine(tmp_path, {"vendor/alpha": ContentPolicy()})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "flagged")
        await answer_done(pilot)
        await wait_until(pilot, lambda: app.main.chat.query("#try-next"))
        await pilot.click("#try-next")
        await wait_until(pilot, lambda: len(app.main.chat.query(AnswerView)) == 2 and not app.main.chat.busy)
        assert app.main.chat.query(AnswerView).last().model == "vendor/beta"


async def test_rate_limit_wait_is_shown_then_retried(tmp_path):
    engine = sim_engine(tmp_path, {"vendor/alpha": Sequence([RateLimited(retry_after=1.0), Healthy(ttft=0.01)])})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "hi")
        chat = app.main.chat
        await wait_until(pilot, lambda: chat.query(AnswerView)
                         and "waiting" in str(chat.query_one(".answer-header").content), what="the wait")
        await answer_done(pilot)
        answer = chat.query_one(AnswerView)
        assert answer.model == "vendor/alpha"
        assert answer.trail.startswith("alpha 429 → retried · answered by alpha")


async def test_busy_send_is_refused_and_text_kept(tmp_path):
    engine = sim_engine(tmp_path, {"vendor/alpha": Healthy(ttft=0.01, tokens_per_s=20, answer_tokens=400)})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "first")
        await wait_until(pilot, lambda: app.main.chat.busy)
        await send(pilot, "second")
        assert app.main.chat.prompt.value == "second"
        assert len(app.main.chat.query(AnswerView)) == 1
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.main.chat.busy)


async def test_new_chat_and_export(tmp_path):
    engine = sim_engine(tmp_path, {"vendor/alpha": CutMidStream(after_tokens=6, ttft=0.01, tokens_per_s=2000)},
                        groups={"main": ["vendor/alpha", "vendor/beta"]})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "export me")
        await answer_done(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        files = list((tmp_path / "exports").glob("modelfallback-chat-*.md"))
        assert len(files) == 1
        text = files[0].read_text()
        assert "## You" in text and "export me" in text
        assert "### beta" in text and "alpha interrupted → out 0:10" in text
        assert "interrupted — alpha stopped mid-answer" in text
        assert SECRET not in text
        await pilot.press("ctrl+n", "enter")  # and Enter: yes, drop this conversation
        await pilot.pause()
        assert app.main.chat.history == [] and not app.main.chat.query(AnswerView)
        assert app.focused is app.main.chat.prompt


async def test_old_turns_leave_the_screen_but_stay_in_history_and_export(tmp_path):
    from tui.widgets.chat_pane import MAX_SHOWN_TURNS

    engine = sim_engine(tmp_path, {})
    app = app_for(engine, tmp_path)
    turns = MAX_SHOWN_TURNS + 3
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.main.chat
        for n in range(turns):
            await send(pilot, f"question number {n}")
            await wait_until(pilot, lambda n=n: len(chat.history) == 2 * (n + 1) and not chat.busy)
        shown = [str(w.content) for w in chat.transcript.query(".user")]
        assert shown == [f"question number {n}" for n in range(3, turns)]
        assert len(chat.query(AnswerView)) == MAX_SHOWN_TURNS
        notice = chat.query_one("#hidden-turns")
        assert str(notice.content).startswith("3 earlier turn(s) are not shown")
        assert [m.content for m in chat.history if m.role == "user"] == [f"question number {n}" for n in range(turns)]
        await pilot.press("ctrl+s")
        await pilot.pause()
        text = next((tmp_path / "exports").glob("modelfallback-chat-*.md")).read_text()
        positions = [text.index(f"question number {n}\n") for n in range(turns)]
        assert positions == sorted(positions)  # every turn, in order, hidden ones first
        assert text.count("### alpha") == turns
        assert "earlier turn(s) are not shown" not in text
        await pilot.press("ctrl+n", "enter")  # and Enter: yes, drop this conversation
        await pilot.pause()
        assert not chat.query("#hidden-turns") and chat.history == []


async def test_when_every_model_is_out_the_prompt_goes_out_by_itself_when_one_is_back(tmp_path):
    """Every model out: a countdown in the chat, then the prompt is sent through the whole chain as usual."""
    from tui.engine.sim import Sequence

    engine = sim_engine(tmp_path, {"vendor/alpha": Sequence([Unavailable(), FAST]),
                                   "vendor/beta": Unavailable(), "vendor/gamma": Unavailable()})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "first")
        await answer_done(pilot)  # every model failed: alpha, beta and gamma out for 0:10
        chat = app.main.chat
        chat.prompt.value = ""
        await send(pilot, "second")
        second = chat.query(AnswerView).last()
        await wait_until(pilot, lambda: "is back in 0:10" in str(second._header.content), what="the countdown")
        engine.clock.advance(7)
        await wait_until(pilot, lambda: "is back in 0:03" in str(second._header.content), what="it counts down")
        engine.clock.advance(3)  # alpha's cooldown ends: probing, usable: the prompt goes out
        await wait_until(pilot, lambda: not chat.busy, what="the answer")
        assert second.has_class("-answered") and second.model == "vendor/alpha"
        assert chat.history[-2].content == "second" and chat.prompt.value == ""


async def test_a_hedge_shows_in_the_trail_and_the_log_counts_it(tmp_path):
    from tui.engine.sim import SlowFirstToken

    engine = sim_engine(tmp_path, {"vendor/alpha": SlowFirstToken(delay=30.0)},
                        {"main": ["{id: vendor/alpha, hedge: 0.2s}", "vendor/beta", "vendor/gamma"]})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "quick?")
        await answer_done(pilot)
        answer = app.main.chat.query_one(AnswerView)
        assert answer.model == "vendor/beta"
        assert answer.trail.startswith("alpha no token in 0.2 s → hedged · answered by beta")
        lines = app.main.event_log.lines_written
        assert any("hedge 1 in main: alpha no token in 0.2 s: also asking beta" in line for line in lines)
        assert engine.status("vendor/alpha").status != "disabled"  # not blamed for being slow


async def test_a_prompt_with_a_lone_surrogate_is_sent_as_valid_text(tmp_path):
    engine = sim_engine(tmp_path, {})
    sent = []
    original = engine.chat

    def spy(group, messages, **kw):
        sent.append(messages[-1].content)
        return original(group, messages, **kw)

    engine.chat = spy
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        app.main.chat.prompt.value = "caf\udce9 ok"
        await pilot.press("enter")
        await answer_done(pilot)
        assert sent == ["caf? ok"] and app.main.chat.query_one(AnswerView).has_class("-answered")
        assert engine.store.data["models"] == {}
