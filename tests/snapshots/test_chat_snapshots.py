"""SVG snapshots of the chat's own screens and states: the chats screen, a multi-line prompt, the
ask-again list, two answers to one prompt, a code block marked for copy, a chat's system prompt.
Same rules as test_snapshots.py: frozen clock, scripted providers, no blink, no toasts."""

from __future__ import annotations

from snapshot_apps import app, chat, engine, quiet, until

from tui.engine.history import ChatHandle, ChatHistory
from tui.engine.sim import Healthy

QUICK = Healthy(ttft=0.01, tokens_per_s=3000, answer_tokens=40)
WITH_CODE = Healthy(ttft=0.01, tokens_per_s=5000)  # the simulator's whole answer: a list and a code block


def saved_chats(tmp_path, eng) -> ChatHistory:
    """Four saved chats, a day apart (the frozen wall clock is 2027-01-15 08:00 UTC)."""
    history = ChatHistory(tmp_path / "chats.sqlite3", lambda: now[0])
    now = [eng.clock.wall() - 3 * 86400]
    for title, group, models, cost in [
        ("How do I retry with backoff in Python?", "coding", ["deepseek/deepseek-coder"], 0.00042),
        ("Summarise this log file", "fast", ["meta-llama/llama-3.1-8b-instruct", "mistralai/mistral-7b-instruct"],
         None),
        ("SQL: window functions vs GROUP BY", "coding", ["anthropic/claude-3.5-sonnet"], 0.0031),
        ("Plan a three-day trip to Lisbon", "cheap", ["google/gemini-flash-1.5"], 0.00001),
    ]:
        handle = ChatHandle(group)
        for n, model in enumerate(models):
            history.save_turn(handle, title if n == 0 else "and more?", "An answer.", model, "", cost).result(5)
        now[0] += 86400
    return history


def test_chats_screen(snap_compare, tmp_path):
    """ctrl+o at 120×40: `Chats` box, the search line, then four rows newest first (Plan a three-day
    trip… cheap, gemini-flash-1.5, Jan 15; SQL… coding, claude-3.5-sonnet, Jan 14, $0.0031; Summarise…
    fast with two models and no spend; How do I retry…, Jan 12, $0.00042), the first highlighted;
    the footer lists Close, Open, Search, Rename, Delete (Undo only after a delete)."""
    eng = engine(tmp_path, {})
    history = saved_chats(tmp_path, eng)

    async def run_before(pilot):
        await quiet(pilot)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: pilot.app.screen.query("#chats-table") and pilot.app.screen.chats)
        await pilot.pause(0.1)

    assert snap_compare(app(tmp_path, eng, history=history), terminal_size=(120, 40), run_before=run_before)


def test_chats_screen_80x24_searching(snap_compare, tmp_path):
    """The chats screen at 80×24 with `window` typed in the search: the one chat with the word, its
    title cut with `…` so Group, Models, Date and Spend stay on screen; no snippet, as the words
    were found in the title's own prompt."""
    eng = engine(tmp_path, {})
    history = saved_chats(tmp_path, eng)

    async def run_before(pilot):
        await quiet(pilot)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: pilot.app.screen.query("#chats-table") and pilot.app.screen.chats)
        await pilot.press(*"window")
        await until(pilot, lambda: len(pilot.app.screen.chats) == 1)
        await pilot.pause(0.1)

    assert snap_compare(app(tmp_path, eng, history=history), terminal_size=(80, 24), run_before=run_before)


def test_multiline_prompt(snap_compare, tmp_path):
    """A three-line prompt typed with shift+Enter and ctrl+j: the box is three lines high (five with
    its border) and the transcript above gave it the room."""

    async def run_before(pilot):
        await quiet(pilot)
        await pilot.press(*"def retry():", "shift+enter", *"    pass", "ctrl+j", *"what is wrong?")
        await pilot.pause(0.1)

    assert snap_compare(app(tmp_path, engine(tmp_path, {})), terminal_size=(120, 40), run_before=run_before)


def test_ask_again_list(snap_compare, tmp_path):
    """ctrl+r after an answer by claude-3.5-sonnet in `coding`: the group's three models, each with its
    glyph and status word, `(answered)` after claude, and gpt-4-turbo (the next one) highlighted."""

    async def run_before(pilot):
        await chat(pilot, "Which sort is stable?")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: pilot.app.screen is not pilot.app.main)
        await pilot.pause(0.1)

    assert snap_compare(app(tmp_path, engine(tmp_path, {})), terminal_size=(120, 40), run_before=run_before)


def test_two_answers_to_one_prompt(snap_compare, tmp_path):
    """After ctrl+r, Enter: the divider `— asked again, from gpt-4-turbo —`; claude's answer above it
    has a grey header (set aside) and a `Keep this answer` button; gpt-4-turbo's below is the kept
    one, marked for ctrl+b (underlined header), each with its own trail."""

    async def run_before(pilot):
        await chat(pilot, "Which sort is stable?")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: pilot.app.screen is not pilot.app.main)
        await pilot.press("enter")
        main = pilot.app.main
        await until(pilot, lambda: len(main.chat.query(".answer")) == 2 and not main.chat.busy)
        main.chat.transcript.scroll_home(animate=False)
        await pilot.pause(0.2)
        await quiet(pilot)

    assert snap_compare(app(tmp_path, engine(tmp_path, {})), terminal_size=(120, 40), run_before=run_before)


def test_code_block_marked_for_copy_80x24(snap_compare, tmp_path):
    """80×24 after an answer with a code block and ctrl+down: the footer's ctrl+b says `Copy code`,
    the chat's bottom edge `^b copies the code block 1 of 1 (…)`, the answer's header underlined."""
    eng = engine(tmp_path, {"anthropic/claude-3.5-sonnet": WITH_CODE})

    async def run_before(pilot):
        await chat(pilot, "Show me code")
        await pilot.press("ctrl+down")
        await pilot.pause(0.1)

    assert snap_compare(app(tmp_path, eng), terminal_size=(80, 24), run_before=run_before)


def test_system_prompt_at_the_top(snap_compare, tmp_path):
    """A chat with the system prompt `Answer in one sentence.` set from the palette: it heads the
    transcript (`System: Answer in one sentence.`, left-aligned, a violet edge) above the prompt and
    its answer."""

    async def run_before(pilot):
        await quiet(pilot)
        await pilot.app.main.chat.set_system("Answer in one sentence.")
        await chat(pilot, "What is a fallback chain?")
        pilot.app.main.chat.transcript.scroll_home(animate=False)
        await pilot.pause(0.1)

    assert snap_compare(app(tmp_path, engine(tmp_path, {})), terminal_size=(120, 40), run_before=run_before)
