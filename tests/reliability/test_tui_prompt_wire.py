"""What the prompt sends, checked where it lands: the loopback server's recorded request.

A bracketed paste of 500 lines reaches the model whole (Textual's one-line Input kept only the
first line); a group's `system:` goes first; a file named `@path` is sent with the prompt, and a
file too big for the group's models is refused before anything is sent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from faultserver import Stream
from textual import events

from reliability_kit import CANARY, GOOD_TOKENS, chat_done, isolate_tui, tui_app, wait_for
from tui.engine.api import ModelFallback
from tui.engine.config.loader import load_config

SIZE = (120, 40)
YAML = """\
providers:
  loop: {{base_url: {url}, api_key_env: MF_LOOP_KEY}}
groups:
  coding:
    system: You answer with code only.
    models: [bad]
  plain: [bad]
policy: {{connect_timeout: 3s, ttft_timeout: 3s, stall_timeout: 3s}}
health: {{interval: 2m, timeout: 1s, probe: completion}}
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    isolate_tui(monkeypatch, tmp_path)


def engine_for(tmp: Path, url: str) -> ModelFallback:
    path = tmp / "groups.yaml"
    path.write_text(YAML.format(url=url), encoding="utf-8")
    return ModelFallback(load_config(path), state_path=tmp / "state.json", env={"MF_LOOP_KEY": CANARY})


async def test_a_pasted_500_line_prompt_reaches_the_model_whole(loop_server, tmp_path: Path) -> None:
    loop_server.script("bad", Stream(tokens=GOOD_TOKENS))
    pasted = "\n".join(f"line {n}: def f{n}(x):  return x * {n}" for n in range(500))
    app = tui_app(engine_for(tmp_path, loop_server.base_url), tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        chat = app.main.chat
        await pilot.press(*"look at this:", "ctrl+j")
        app.post_message(events.Paste(pasted))  # what the terminal's bracketed paste delivers
        await wait_for(pilot, lambda: chat.prompt.value.endswith("return x * 499"), what="the paste")
        await pilot.press("enter")
        await chat_done(pilot)
        [request] = loop_server.requests_for("bad")
        messages = request.json["messages"]
        assert messages[0] == {"role": "system", "content": "You answer with code only."}
        assert messages[1] == {"role": "user", "content": "look at this:\n" + pasted}
        assert len(messages[1]["content"].splitlines()) == 501
    await app.engine.aclose()


async def test_an_at_path_file_is_sent_with_the_prompt_and_a_huge_one_is_refused(loop_server, tmp_path: Path,
                                                                                monkeypatch) -> None:
    loop_server.script("bad", Stream(tokens=GOOD_TOKENS))
    (tmp_path / "notes.py").write_text("def retry():\n    pass\n", encoding="utf-8")
    (tmp_path / "huge.log").write_text("x" * (600 * 1024), encoding="utf-8")
    engine = engine_for(tmp_path, loop_server.base_url)
    app = tui_app(engine, tmp_path)
    told: list[str] = []
    real_notify = app.notify
    monkeypatch.setattr(app, "notify", lambda message, **kw: (told.append(str(message)), real_notify(message, **kw)))
    async with app.run_test(size=SIZE) as pilot:
        chat = app.main.chat
        await app.main.choose_group("plain")
        chat.prompt.value = "what is wrong in @notes.py?"
        await pilot.press("enter")
        await chat_done(pilot)
        [request] = loop_server.requests_for("bad")
        sent = request.json["messages"][-1]["content"]
        assert sent == "what is wrong in @notes.py?\n\nFile `notes.py`:\n```\ndef retry():\n    pass\n```"
        assert "📎 notes.py" in str(chat.query(".user").last().content)
        chat.prompt.value = "and @huge.log?"
        await pilot.press("enter")
        await pilot.pause()
        assert len(loop_server.requests_for("bad")) == 1  # nothing sent
        assert chat.prompt.value == "and @huge.log?"  # the prompt stays
        assert any("huge.log is 600.0 KB" in t and "publishes its context" in t for t in told)
        engine.catalog.record({"bad": {"context": 8192}})
        await pilot.press("enter")
        await pilot.pause()
        assert any("~150k tokens" in t and "largest context in this group is 8k (bad)" in t for t in told)
        assert len(loop_server.requests_for("bad")) == 1
    await engine.aclose()
