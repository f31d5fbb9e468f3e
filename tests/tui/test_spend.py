"""Spend on screen: each answer's reported cost in its trail, the conversation's total in the
header, both in the export; no reported cost and no configured price shows nothing."""

from __future__ import annotations

from tui.engine.sim.catalog import Listing
from tui.widgets.answer import AnswerView

from tui_helpers import answer_done, app_for, header, send, sim_engine

# completion tokens only, so the cost is exact: 24 answer tokens × $0.0005 = $0.012
PRICED = Listing(context_length=8192, prompt_price=0.0, completion_price=0.0005)
UNPRICED = Listing(context_length=8192)


def exported(tmp_path) -> str:
    return next((tmp_path / "exports").glob("modelfallback-chat-*.md")).read_text()


async def test_cost_in_the_trail_the_header_and_the_export(tmp_path):
    engine = sim_engine(tmp_path, {}, catalog=dict.fromkeys(("vendor/alpha", "vendor/beta", "vendor/gamma"), PRICED))
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        assert "spent" not in header(app)  # nothing spent yet: nothing shown
        await send(pilot, "first")
        await answer_done(pilot)
        answer = app.main.chat.query_one(AnswerView)
        assert answer.trail.endswith(" · 24 tok · $0.012")
        assert str(answer.query_one(".answer-trail").content).endswith("24 tok · $0.012")
        assert "spent $0.012" in header(app)
        await send(pilot, "second")
        await answer_done(pilot)
        assert "spent $0.024" in header(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        text = exported(tmp_path)
        assert "*Total cost: $0.024 over 2 answers, as the providers reported it*" in text
        assert text.count("· 24 tok · $0.012*") == 2  # each answer's own cost, in its trail
        await pilot.press("ctrl+n", "enter")  # a new conversation (Enter: yes) starts from nothing
        await pilot.pause()
        app.main.tick()
        assert "spent" not in header(app)


async def test_no_reported_cost_shows_nothing(tmp_path):
    engine = sim_engine(tmp_path, {}, catalog=dict.fromkeys(("vendor/alpha", "vendor/beta", "vendor/gamma"), UNPRICED))
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "free?")
        await answer_done(pilot)
        answer = app.main.chat.query_one(AnswerView)
        assert answer.trail.endswith(" · 24 tok")
        assert "$" not in answer.trail
        assert "spent" not in header(app) and "$" not in header(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        text = exported(tmp_path)
        assert "$" not in text and "cost" not in text.lower()


async def test_a_total_with_unpriced_answers_is_marked_as_a_floor(tmp_path):
    engine = sim_engine(tmp_path, {}, catalog={"vendor/alpha": PRICED, "vendor/beta": UNPRICED,
                                               "vendor/gamma": UNPRICED})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await send(pilot, "priced")
        await answer_done(pilot)
        app.main.disable("vendor/alpha", 60)
        await send(pilot, "unpriced")
        await answer_done(pilot)
        last = app.main.chat.query(AnswerView).last()
        assert last.model == "vendor/beta" and "$" not in last.trail
        assert "spent ≥$0.012" in header(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert ("Total cost: $0.012 over 1 answer, as the providers reported it; "
                "1 more answer came without a cost") in exported(tmp_path)
