"""SVG snapshots of the TUI (plain `def` tests: snap_compare runs its own event loop).

Every app here runs on a FakeClock that never moves, scripted simulated providers, no
background sweeps, no blinking cursor and no toasts, so the pictures are byte-stable.
Update with `pytest tests/snapshots --snapshot-update` and look at every changed image.
"""

from __future__ import annotations

from snapshot_apps import app, chat, checked, engine, failover_engine, health_engine, interrupted_engine, quiet


def test_main_screen_demo(snap_compare, tmp_path):
    """The demo at 120×40 after one health check: the DEMO label in the top line; groups with ▶ on
    the model that answers now (coding → gpt-4-turbo, claude-3.5-sonnet is out 0:10); the models
    table (Status, Model, Out for, p50, OK, Checked, Why: Last goes first at this width) with
    ✕ disabled / ● healthy words, the 0:10 countdown with a full bar and the engine's next recheck,
    `auto · 503 unavailab…`; the status line on the table's bottom edge says claude is disabled."""
    assert snap_compare(app(tmp_path, engine(tmp_path)), terminal_size=(120, 40), run_before=checked)


def test_disable_dialog(snap_compare, tmp_path):
    """The disable dialog over the main screen for openai/gpt-4-turbo: the reason box first, empty
    and focused (typing is the reason), then 1m / 5m / 15m / 1h / until I enable it with 5m
    highlighted (Enter takes it), and the keys: Enter, ↑ ↓, Tab, Esc."""

    async def run_before(pilot):
        await checked(pilot)
        main = pilot.app.main
        main.models.focus()
        main.models.select_model("openai/gpt-4-turbo")
        await pilot.press("d")
        await pilot.pause(0.2)

    assert snap_compare(app(tmp_path, engine(tmp_path)), terminal_size=(120, 40), run_before=run_before)


def test_help_screen(snap_compare, tmp_path):
    """The help screen: sections for chat, models table, groups, disable dialog and everywhere,
    each key with what it does, and a line on mouse and palette use."""

    async def run_before(pilot):
        await quiet(pilot)
        await pilot.press("f1")
        await pilot.pause(0.2)

    assert snap_compare(app(tmp_path, engine(tmp_path)), terminal_size=(120, 40), run_before=run_before)


def test_chat_with_failover_trail(snap_compare, tmp_path):
    """A chat answered by deepseek-coder, headed `● deepseek-coder` with the trail
    `claude-3.5-sonnet 503 → out 0:10 · skipped gpt-4-turbo (disabled 5:00, manual) · answered by
    deepseek-coder · 0.0 s · 40 tok` (no price listed: no cost shown); the table shows claude out
    0:10 (auto) and gpt-4 out 5:00 (manual · flaky today); the status line tells the chat's last event,
    `· answered by deepseek-coder in coding after 2 other attempt(s)  (+3 more · ctrl+l log)`."""

    async def run_before(pilot):
        await chat(pilot, "How do fallback chains work?")

    assert snap_compare(app(tmp_path, failover_engine(tmp_path)), terminal_size=(120, 40), run_before=run_before)


def test_interrupted_answer(snap_compare, tmp_path):
    """gpt-4-turbo's partial answer stays visible, dimmed with an orange edge and the label
    `⚠ interrupted — gpt-4-turbo stopped mid-answer; restarting on the next model`; the full answer
    by deepseek-coder follows below it, and the trail lists both failures."""

    async def run_before(pilot):
        await chat(pilot, "Explain cooldowns")
        pilot.app.main.chat.transcript.scroll_home(animate=False)
        await pilot.pause(0.1)

    assert snap_compare(app(tmp_path, interrupted_engine(tmp_path)), terminal_size=(120, 40),
                        run_before=run_before)


def test_light_theme(snap_compare, tmp_path):
    """The failover chat in modelfallback-light: dark text on a light background, status words
    still readable (green healthy, red disabled), the trail in muted italics."""

    async def run_before(pilot):
        await chat(pilot, "How do fallback chains work?")

    assert snap_compare(app(tmp_path, failover_engine(tmp_path), theme="modelfallback-light"),
                        terminal_size=(120, 40), run_before=run_before)


def test_high_contrast_theme(snap_compare, tmp_path):
    """The demo main screen in modelfallback-high-contrast: black background, white text, bright
    status colours."""
    assert snap_compare(app(tmp_path, engine(tmp_path), theme="modelfallback-high-contrast"),
                        terminal_size=(120, 40), run_before=checked)


def test_small_terminal_80x24(snap_compare, tmp_path):
    """The demo at the smallest supported size, 80×24: DEMO label, groups (narrower), chat with the
    prompt, and the models table with all seven rows and only Status, Model (short names), Out for
    (`0:10 · check in …`) and Why, nothing scrolled sideways; the status line below the rows."""
    assert snap_compare(app(tmp_path, engine(tmp_path)), terminal_size=(80, 24), run_before=checked)


def test_groups_panel_focused_80x24(snap_compare, tmp_path):
    """The groups panel focused at 80×24 after End: its border in the focus colour, scrolled one line
    so the last group (`cheap`, two models) is wholly in view under the block cursor (its three lines,
    ▶ on llama-3.1-8b-instruct); `coding · chat` scrolled out above, `✕ 0:10 claude-3.5-sonn…` cut
    with `…`; the chat keeps `coding` (End only moves the highlight)."""

    async def run_before(pilot):
        await checked(pilot)
        pilot.app.main.groups_panel.focus()
        await pilot.press("end")
        await pilot.pause(0.2)

    assert snap_compare(app(tmp_path, engine(tmp_path)), terminal_size=(80, 24), run_before=run_before)


def test_too_small_terminal(snap_compare, tmp_path):
    """Below 80×24 the app says how big the terminal is and what it needs, instead of a broken layout;
    the top line keeps DEMO, the group and its model, and `7/7 models up` (the app name gives way)."""
    assert snap_compare(app(tmp_path, engine(tmp_path)), terminal_size=(70, 20), run_before=quiet)


def test_80x24_after_a_failover_chat(snap_compare, tmp_path):
    """80×24 after a chat answered by deepseek-coder at the demo's prices: the header says
    `spent $0.000013` (the answer's reported cost), the transcript is scrolled to the answer's trail,
    which ends `… 40 tok · $0.000013`; the models table shows Status, Model (short names), Out for
    and Why for all seven models with claude (auto · 503) and gpt-4-turbo (manual · flaky today)
    out, and the status line on the table's bottom edge tells the latest automatic event
    (`· answered by deepseek-coder in coding after 2 other attempt(s)`, cut at the border). No toast anywhere."""

    async def run_before(pilot):
        await chat(pilot, "How do fallback chains work?")
        chat_pane = pilot.app.main.chat
        chat_pane.transcript.scroll_to_widget(chat_pane.query_one(".answer-trail"), animate=False, top=True)
        await pilot.pause(0.1)

    assert snap_compare(app(tmp_path, failover_engine(tmp_path, priced=True)), terminal_size=(80, 24),
                        run_before=run_before)


def test_models_next_check_and_uptime(snap_compare, tmp_path):
    """160×45, every column: claude-3.5-sonnet out `0:10 █████ check in 0:09` (the check part in
    the accent colour), gpt-4-turbo out 5:00 by hand with no check, mistral `0:10 █████ check due`;
    an Uptime column (61.7%, 99.1%, 99.6%, 99.8%, 100%, — for llama, 93.4%) before the Why column."""
    assert snap_compare(app(tmp_path, health_engine(tmp_path)), terminal_size=(160, 45), run_before=checked)


def test_models_next_check_80x24(snap_compare, tmp_path):
    """The same models at 80×24: no Uptime column (the first to go), short names, and the out-for
    cells without the bar so the check fits: `0:10 · check in 0:09`, `5:00 ███`… for the manual
    disable (no check), `0:10 · check due`; the Why column keeps 18 characters."""
    assert snap_compare(app(tmp_path, health_engine(tmp_path)), terminal_size=(80, 24), run_before=checked)
