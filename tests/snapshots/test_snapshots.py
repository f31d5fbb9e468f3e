"""SVG snapshots of the TUI (plain `def` tests: snap_compare runs its own event loop).

Every app here runs on a FakeClock that never moves, scripted simulated providers, no
background sweeps, no blinking cursor and no toasts, so the pictures are byte-stable.
Update with `pytest tests/snapshots --snapshot-update` and look at every changed image.
"""

from __future__ import annotations

from snapshot_apps import app, chat, checked, engine, failover_engine, interrupted_engine, quiet


def test_main_screen_demo(snap_compare, tmp_path):
    """The demo at 120×40 after one health check: the DEMO label in the top line; groups with ▶ on
    the model that answers now (coding → gpt-4-turbo, claude-3.5-sonnet is out 0:10); the models
    table with ✕ disabled / ● healthy words, the 0:10 countdown with a full bar, `auto · unavailable`."""
    assert snap_compare(app(tmp_path, engine(tmp_path)), terminal_size=(120, 40), run_before=checked)


def test_disable_dialog(snap_compare, tmp_path):
    """The disable dialog over the main screen for openai/gpt-4-turbo: 1m / 5m / 15m / 1h /
    until I enable it, with 5m highlighted and focused (Enter takes it), and an empty reason box."""

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
    deepseek-coder · 0.0 s · … tok`; the table shows claude out 0:10 (auto) and gpt-4 out 5:00
    (manual · flaky today)."""

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
    prompt, and the models table showing status, model, countdown and why (the rest scrolls)."""
    assert snap_compare(app(tmp_path, engine(tmp_path)), terminal_size=(80, 24), run_before=checked)


def test_too_small_terminal(snap_compare, tmp_path):
    """Below 80×24 the app says how big the terminal is and what it needs, instead of a broken layout."""
    assert snap_compare(app(tmp_path, engine(tmp_path)), terminal_size=(70, 20), run_before=quiet)
