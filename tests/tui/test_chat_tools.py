"""The chat's tools: copy an answer or one of its code blocks, ask the last prompt again of the
next model or a picked one (both answers stay, the kept one carries on), a system prompt per chat,
and a file attached from the picker."""

from __future__ import annotations

import asyncio

from textual.widgets import Input, OptionList

from tui.engine.history import ChatHistory
from tui.engine.sim import Healthy
from tui.screens.chat_dialogs import AskModelDialog, AttachDialog, TextDialog
from tui.widgets.answer import AnswerView
from tui.widgets.transcript import code_blocks

from tui_helpers import answer_done, app_for, send, sim_engine, wait_until

WITH_CODE = Healthy(ttft=0.01, tokens_per_s=5000)  # the simulator's full answer: a list and a code block


def footer_keys(app) -> dict[str, str]:
    return {key: b.binding.description for key, b in app.screen.active_bindings.items() if b.binding.show}


async def test_ctrl_b_copies_the_answer_or_the_marked_code_block_and_the_footer_says_which(tmp_path):
    app = app_for(sim_engine(tmp_path, {"vendor/alpha": WITH_CODE}), tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        assert "ctrl+b" not in footer_keys(app) and app.main.check_action("copy", ("answer",)) is False
        await send(pilot, "show me code")
        await answer_done(pilot)
        answer = app.main.chat.query_one(AnswerView)
        [(lang, code)] = code_blocks(answer.text)
        assert answer.has_class("-selected")
        await pilot.press("ctrl+b")
        assert app.clipboard == answer.text
        await pilot.press("ctrl+down")
        assert footer_keys(app)["ctrl+b"] == "Copy code"
        assert app.main.chat.border_subtitle == f"^b copies the code block 1 of 1 ({lang})"
        await pilot.press("ctrl+b")
        assert app.clipboard == code and "```" not in code
        await pilot.press("ctrl+up")
        assert footer_keys(app)["ctrl+b"] == "Copy"
        await send(pilot, "again")
        await answer_done(pilot)
        await wait_until(pilot, lambda: len(app.main.chat.query(AnswerView)) == 2)
        await pilot.pause()
        newest = app.main.chat.query(AnswerView).last()
        assert newest.has_class("-selected") and not answer.has_class("-selected")  # the newest is marked
        await pilot.press("ctrl+b")
        assert app.clipboard == newest.text


async def test_asking_again_keeps_both_answers_and_carries_on_with_the_kept_one(tmp_path):
    engine = sim_engine(tmp_path, {})
    history = ChatHistory(tmp_path / "chats.sqlite3", engine.clock.wall)
    seen = []
    original = engine.chat

    def spy(group, messages, **kw):
        seen.append(([(m.role, m.content) for m in messages], kw.get("start_after")))
        return original(group, messages, **kw)

    engine.chat = spy
    app = app_for(engine, tmp_path, history=history)
    async with app.run_test(size=(120, 40)) as pilot:
        chat = app.main.chat
        assert app.main.check_action("ask_again", ()) is False
        await send(pilot, "which is best?")
        await answer_done(pilot)
        first = chat.query_one(AnswerView)
        assert first.model == "vendor/alpha"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, AskModelDialog), what="the model list")
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert "vendor/alpha" in labels[0] and "(answered)" in labels[0]
        assert all(("healthy" in label or "unknown" in label) for label in labels)  # each with its status
        assert options.highlighted == 1  # the next model of the group: beta
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(chat.query(AnswerView)) == 2 and not chat.busy, what="the second answer")
        second = chat.query(AnswerView).last()
        assert second.model == "vendor/beta" and seen[-1][1] == "vendor/alpha"  # from beta on
        assert seen[-1][0] == [("user", "which is best?")]  # the first answer is not in the request
        assert first.has_class("-set-aside") and not second.has_class("-set-aside")
        assert first.trail and second.trail  # each with its own trail
        assert len(chat.history) == 2 and chat.history[-1].content == second.text
        await wait_until(pilot, lambda: history.load(chat.chat.id).result(5).turns[-1].model == "vendor/beta",
                         what="the saved turn to carry the new answer")
        # keep the first one after all: mark it (ctrl+up to its answer) and press f4
        await pilot.press("ctrl+up", "ctrl+up")
        assert chat.copy_target.answer is first and chat.copy_target.block is None
        await pilot.press("f4")
        assert chat.history[-1].content == first.text and not first.has_class("-set-aside")
        assert second.has_class("-set-aside")
        await wait_until(pilot, lambda: history.load(chat.chat.id).result(5).turns[-1].model == "vendor/alpha")
        await send(pilot, "and then?")
        await wait_until(pilot, lambda: len(chat.history) == 4)
        assert seen[-1][0][:2] == [("user", "which is best?"), ("assistant", first.text)]
        # the palette's "Ask the next model": no list
        await app.main.action_ask_next()
        await wait_until(pilot, lambda: len(chat.query(AnswerView)) == 4 and not chat.busy)
        assert chat.query(AnswerView).last().model == "vendor/beta"
    await asyncio.to_thread(history.close)


async def test_a_system_prompt_for_this_chat_is_shown_sent_and_saved(tmp_path):
    engine = sim_engine(tmp_path, {})
    history = ChatHistory(tmp_path / "chats.sqlite3", engine.clock.wall)
    seen = []
    original = engine.chat

    def spy(group, messages, **kw):
        seen.append([(m.role, m.content) for m in messages])
        return original(group, messages, **kw)

    engine.chat = spy
    app = app_for(engine, tmp_path, history=history)
    async with app.run_test(size=(120, 40)) as pilot:
        app.main.action_system_prompt()
        await wait_until(pilot, lambda: isinstance(app.screen, TextDialog))
        await pilot.press(*"Be brief.", "enter", *"Very.", "ctrl+s")  # Enter: a new line; ctrl+s keeps it
        chat = app.main.chat
        await wait_until(pilot, lambda: chat.query("#system-prompt"), what="the system prompt shown")
        assert str(chat.query_one("#system-prompt").content) == "System: Be brief.\nVery."
        await send(pilot, "hello")
        await answer_done(pilot)
        assert seen[0] == [("system", "Be brief.\nVery."), ("user", "hello")]
        await wait_until(pilot, lambda: chat.chat.id is not None)
        assert history.load(chat.chat.id).result(5).system == "Be brief.\nVery."
        await app.main.choose_group("main")  # the same group: nothing changes
        assert chat.chat.system == "Be brief.\nVery."
    await asyncio.to_thread(history.close)


async def test_a_file_picked_in_the_dialog_goes_with_the_next_prompt(tmp_path):
    (tmp_path / "todo.txt").write_text("buy milk\n", encoding="utf-8")
    engine = sim_engine(tmp_path, {})
    seen = []
    original = engine.chat

    def spy(group, messages, **kw):
        seen.append(messages[-1].content)
        return original(group, messages, **kw)

    engine.chat = spy
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: isinstance(app.screen, AttachDialog))
        app.screen.query_one(Input).value = "todo.txt"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.main.chat.attached, what="the file attached")
        await send(pilot, "what is on my list?")
        await answer_done(pilot)
        assert seen == ["what is on my list?\n\nFile `todo.txt`:\n```\nbuy milk\n```"]
        assert "📎 todo.txt" in str(app.main.chat.query_one(".user").content)
        assert app.main.chat.attached == []  # for that prompt only
