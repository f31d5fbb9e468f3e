"""The Textual-free text the TUI and the CLI share: money, the next recheck, uptime, the offline
reason, the out-for cell at each width, short model names and the models panel's column plan."""

from __future__ import annotations

import pytest

from tui.engine.state.status import ModelStatus
from tui.widgets.model_columns import plan, short_names
from tui.wording.breaks import break_long_words
from tui.wording.status import check_text, countdown_text, offline_text, uptime_text
from tui.wording.trail import estimate_text, format_cost, spend_note, spend_text


@pytest.mark.parametrize("usd, text", [
    (None, ""), (float("nan"), ""), (float("inf"), ""), (-0.01, ""), (True, ""), ("0.1", ""),
    (0, "$0"), (0.0031, "$0.0031"), (0.000012, "$0.000012"), (0.00001234, "$0.000012"),
    (0.0001, "$0.0001"), (0.0312, "$0.031"), (0.1234, "$0.12"), (0.5, "$0.50"), (0.0999, "$0.10"),
    (0.996, "$1.00"), (1.24, "$1.24"), (1234.5, "$1,234.50"), (1.74e-6, "$0.0000017"),
    (3e-8, "<$0.0000001"),
])
def test_money(usd, text):
    assert format_cost(usd) == text


def test_spend_totals():
    assert spend_text(0.0, 0, 3) == "" and spend_note(0.0, 0, 3) == ""
    assert spend_text(0.0042, 2, 0) == "$0.0042"
    assert spend_text(0.0042, 2, 1) == "≥$0.0042"
    assert spend_note(0.0, 1, 0) == "Total cost: $0 over 1 answer, as the providers reported it"
    assert spend_note(0.0042, 2, 2).endswith("; 2 more answers came without a cost")


def out_row(remaining: float | None = 252.0, next_check: float | None = None, status: str = "disabled",
            uptime: float | None = None) -> ModelStatus:
    until = None if remaining is None else 1000.0 + remaining
    return ModelStatus("v/m", "p", status, None, None, None, None, None, remaining_s=remaining, until=until,
                       since=until - 300.0 if until else None, source="auto", kind="unavailable",
                       next_check_s=next_check, uptime=uptime)


def test_next_check():
    assert check_text(out_row(next_check=None)) == ""
    assert check_text(out_row(next_check=9.0)) == "check in 0:09"
    assert check_text(out_row(next_check=0.0)) == "check due"
    assert check_text(out_row(next_check=9.0), short=True) == "check 0:09"
    assert check_text(out_row(next_check=9.0, status="healthy")) == ""  # only a model that is out


def test_out_cell_by_width():
    row = out_row(next_check=9.0)
    assert countdown_text(row) == "4:12 ████▎ check in 0:09"
    assert countdown_text(row, 24) == "4:12 ████▎ check in 0:09"
    assert countdown_text(row, 20) == "4:12 · check in 0:09"
    assert countdown_text(row, 17) == "4:12 · check 0:09"
    assert countdown_text(row, 10) == "4:12"
    assert countdown_text(out_row()) == "4:12 ████▎"  # no check: the bar stays at any width
    assert countdown_text(out_row(remaining=None, next_check=3.0), 20) == "until enabled"
    assert countdown_text(out_row(status="healthy")) == ""


@pytest.mark.parametrize("uptime, text", [
    (None, "—"), (float("nan"), "—"), (99.9, "99.9%"), (61.66, "61.7%"), (99.96, "100%"), (100.0, "100%"),
    (0.0, "0%"), (5.0, "5.0%"), (140.0, "100%"), (-3.0, "0%"),
])
def test_uptime(uptime, text):
    assert uptime_text(uptime) == text


def test_offline_reason_never_shows_a_password():
    text = offline_text("redis://:hunter2@cache.internal:6379/0 unreachable:\n connection refused")
    assert text == "shared state offline: redis://***@cache.internal:6379/0 unreachable: connection refused"
    assert "user:pw" not in offline_text("rediss://user:pw@h:6380 timed out")
    assert offline_text("") == "shared state offline"


def test_short_names():
    demo = ["anthropic/claude-3.5-sonnet", "openai/gpt-4-turbo", "meta-llama/llama-3.1-8b-instruct"]
    assert list(short_names(demo).values()) == ["claude-3.5-sonnet", "gpt-4-turbo", "llama-3.1-8b-instruct"]
    # the same last part twice: only the shared prefix may go, and here there is none
    assert short_names(["one/chat", "two/chat"]) == {"one/chat": "one/chat", "two/chat": "two/chat"}
    assert short_names(["or/a/chat", "or/b/chat"]) == {"or/a/chat": "a/chat", "or/b/chat": "b/chat"}


def test_column_plan_drop_order():
    demo = ["anthropic/claude-3.5-sonnet", "openai/gpt-4-turbo", "meta-llama/llama-3.1-8b-instruct"]
    every = ["status", "model", "out", "last", "p50", "ok", "checked", "uptime", "note"]
    assert plan(200, demo, uptime=True).keys == every
    assert "uptime" not in plan(200, demo, uptime=False).keys  # no uptime reported: no column
    seen = []
    for width in range(200, 59, -1):  # the app needs 80 columns; the table gets 77
        layout = plan(width, demo, uptime=True)
        assert layout.keys[:3] == ["status", "model", "out"]  # what matters never goes
        assert sum(c.width + 2 for c in layout.columns) <= width
        seen.append((tuple(layout.keys), layout.width("out"), dict(layout.names)[demo[0]]))
    gone = []
    for (keys, out_w, name), (next_keys, next_out, next_name) in zip(seen, seen[1:], strict=False):
        gone += [k for k in keys if k not in next_keys and k != "note"]
        if next_out < out_w:
            gone.append("bar")
        if next_name != name:
            gone.append("names")
    assert gone == ["uptime", "last", "bar", "checked", "p50", "names", "ok"]
    assert plan(77, demo).keys == ["status", "model", "out", "note"]


def test_the_all_out_toast_names_the_first_back_by_the_chats_rule():
    """A model whose recheck comes before another's cooldown ends is back first, as the chat's
    countdown and `chat --wait` say (engine.first_return)."""
    from dataclasses import replace

    from tui.wording.events import all_out_text

    long_out = replace(out_row(remaining=240.0, next_check=9.0), model="v/long")
    short_out = replace(out_row(remaining=30.0), model="v/short")
    assert all_out_text("g", [short_out, long_out]) == "Every model of g is out. First back: long in 0:09."
    manual = replace(out_row(remaining=None), source="manual")
    assert all_out_text("g", [manual]).endswith("none comes back by itself: enable m (e).")


@pytest.mark.parametrize("text, width, broken", [
    ("Disabled openai/gpt-4-turbo for 5m", 27, "Disabled openai/gpt-4-turbo for 5m"),  # fits: the box wraps
    ("Disabled meta-llama/llama-3.1-8b-instruct", 27, "Disabled meta-llama/\nllama-3.1-8b-instruct"),
    ("'/home/someone/.local/state/modelfallback/state.json'", 27,
     "'/home/someone/.local/\nstate/modelfallback/\nstate.json'"),
    ("llama-3.1-8b-instruct-extended-context", 20, "llama-3.1-8b-\ninstruct-extended-\ncontext"),  # no `/`: at `-`
    ("x" * 30, 12, "x" * 12 + "\n" + "x" * 12 + "\n" + "x" * 6),  # no place to break: mid-word
    ("a  b\tc", 1, "a  b\tc"),
])
def test_break_long_words_keeps_names_whole(text, width, broken):
    assert break_long_words(text, width) == broken
    assert all(len(word) <= width for word in break_long_words(text, width).split())


def test_estimates_from_configured_prices_are_marked_and_kept_apart() -> None:
    assert estimate_text(0.0031) == "~$0.0031" and estimate_text(None) == ""
    assert spend_text(0.0, 0, 2, 0.0012, 2) == "~$0.0012"
    assert spend_text(0.0042, 2, 1, 0.0012, 1) == "$0.0042 + ~$0.0012"
    assert spend_text(0.0042, 2, 2, 0.0012, 1) == "≥$0.0042 + ~$0.0012"
    assert spend_note(0.0042, 1, 1, 0.0012, 1) == (
        "Total cost: $0.0042 over 1 answer, as the providers reported it; "
        "about $0.0012 more over 1 answer, estimated from configured prices")


def test_the_trail_shows_an_estimate_only_without_a_reported_cost() -> None:
    from tui.engine.events import Answered, Attempt, Usage
    from tui.wording.trail import format_trail

    def answered(usage: Usage) -> Answered:
        ok = Attempt("claude-x", "claude", "ok")
        return Answered("claude-x", "claude", "hi", "", None, "stop", usage, [ok], 1200, 300)

    assert format_trail([], answered(Usage(10, 20, 30, None, estimated_cost=0.0031))).endswith("20 tok · ~$0.0031")
    assert format_trail([], answered(Usage(10, 20, 30, 0.002, estimated_cost=0.0031))).endswith("20 tok · $0.002")


def test_the_api_column_shows_only_when_models_speak_several_apis_and_goes_first():
    demo = ["claude-sonnet-4-5", "gemini-2.5-flash", "openai/gpt-4-turbo"]
    assert "api" not in plan(200, demo, uptime=True).keys  # one API everywhere: no column
    wide = plan(200, demo, uptime=True, apis=True)
    assert wide.keys == ["status", "model", "out", "api", "last", "p50", "ok", "checked", "uptime", "note"]
    narrower = next(plan(w, demo, uptime=True, apis=True) for w in range(200, 59, -1)
                    if len(plan(w, demo, uptime=True, apis=True).keys) < len(wide.keys))
    assert "api" not in narrower.keys and "uptime" in narrower.keys  # the first to go
