"""API keys: only to their own provider's host, and never in output, logs, state, screenshots or exports.

The canary keys (reliability_kit.CANARY / ALT_CANARY) are set in the environment the way a user sets
them; providers echo them back in error messages, error chunks and malformed lines, the way proxies
and misconfigured gateways do. Every artefact is searched: stdout, stderr, the state file, every log
record at DEBUG, the TUI's SVG screenshots and its Markdown export. (The whole fault matrix also runs
with these keys and checks every cell: see test_fault_matrix.py and test_cli_faults.py.)
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from faultserver import FaultServer, Json, Redirect, Stream, completion, error_json

from reliability_kit import (ALT_CANARY, CANARY, GOOD_TEXT, GOOD_TOKENS, CliLoopback, RoutedFaultServer,
                             assert_no_canary, chat_done, drive, isolate_tui, matrix_engine, send_prompt,
                             tui_app)
from tui.engine.events import Answered

ECHOES = {  # how a provider can send a key back
    "401-message": error_json(401, f"Incorrect API key provided: {CANARY}. You passed Bearer {CANARY}"),
    "error-chunk": Stream(tokens=["par", "tial"], error_after=1,
                          error={"code": 502, "message": f"upstream rejected Authorization: Bearer {CANARY}"}),
    "malformed-line": Json(200, f"data: {{not json {CANARY}\n\ndata: {{nor this {CANARY}\n\n"
                                f"data: {{{CANARY}\n\n", content_type="text/event-stream"),
    "html-title": Json(502, f"<html><title>502 {CANARY}</title></html>", content_type="text/html"),
    "raw-metadata": Json(200, {"error": {"code": 400, "message": "Provider returned error",
                                         "metadata": {"raw": json.dumps({"error": {"message": f"key {CANARY}"}})}}}),
    "redirect-location": Redirect(location=f"http://127.0.0.1:9/v1/chat/completions?key={CANARY}"),
}


def assert_only_own_key(server: FaultServer, own: str, other: str) -> None:
    assert server.requests, "the server got no request at all"
    for request in server.requests:
        assert request.headers.get("authorization") == f"Bearer {own}"
        assert other not in json.dumps(request.headers) and other.encode() not in request.body
        assert own.encode() not in request.body  # a key travels in the header only


async def test_each_key_goes_only_to_its_own_providers_host(tmp_path: Path, debug_logs) -> None:
    async with RoutedFaultServer() as one, RoutedFaultServer() as two:
        one.script("bad", error_json(503, "overloaded"))
        one.script("pre", Stream(tokens=["pre"]))
        two.script("good", Stream(tokens=GOOD_TOKENS))
        engine = matrix_engine(tmp_path, one.base_url, two.base_url)  # loop -> one, alt -> two
        try:
            run = await drive(engine, "first")
            assert isinstance(run.final, Answered) and run.final.content == GOOD_TEXT
            assert (await drive(engine, "last")).final.model == "pre"
            results = await engine.check()  # probes of every model, concurrently
            assert {r.model for r in results} == {"bad", "good", "pre"}
        finally:
            await engine.aclose()
        assert {r.model for r in one.requests} == {"bad", "pre"} and {r.model for r in two.requests} == {"good"}
        assert_only_own_key(one, CANARY, ALT_CANARY)
        assert_only_own_key(two, ALT_CANARY, CANARY)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("stream", [True, False])
async def test_a_redirect_to_another_host_is_not_followed(tmp_path: Path, status: int, stream: bool,
                                                          debug_logs) -> None:
    async with RoutedFaultServer() as one, RoutedFaultServer() as elsewhere:
        elsewhere.script("bad", Stream(tokens=["stolen"]))
        elsewhere.script("/v1/models", Json(200, {"data": [{"id": "bad"}]}))
        one.script("bad", Redirect(location=elsewhere.base_url + "/chat/completions", status=status))
        one.script("good", Stream(tokens=GOOD_TOKENS) if stream else completion(GOOD_TEXT))
        one.script("/v1/models", Redirect(location=elsewhere.base_url + "/models", status=status))
        engine = matrix_engine(tmp_path, one.base_url)
        try:
            run = await drive(engine, "first", stream=stream)
            assert run.rows()[0] == ("bad", "failed", "protocol", status)
            assert run.final.model == "good"
            assert "not followed" in run.attempts[0].detail
            listing = engine.clients["loop"].list_models(1.0)
            with pytest.raises(Exception) as info:
                await listing
            assert info.value.failure.kind.value == "protocol"
        finally:
            await engine.aclose()
        assert elsewhere.requests == []  # neither the request nor the key ever reached the other host


def test_the_cli_never_prints_or_stores_a_key(tmp_path: Path) -> None:
    echoes = ["malformed-line", "error-chunk", "html-title", "raw-metadata", "redirect-location", "401-message"]
    lb = CliLoopback(tmp_path, {"pre": [ECHOES[name] for name in echoes], "bad": [Stream(tokens=["fine"])],
                                "good": [Stream(tokens=GOOD_TOKENS)]})
    try:
        outputs, seen = [], []
        for name in echoes:  # group `last` = [pre, bad]: pre echoes the key, then bad answers
            outputs.append(lb.run("chat", "--json", "-g", "last", f"about {name}"))
            first = json.loads(outputs[-1].stdout)["attempts"][0]
            seen.append((first["model"], first["kind"], first.get("status")))
            outputs.append(lb.run("enable", "pre"))
        assert seen == [("pre", "protocol", None), ("pre", "interrupted", 502), ("pre", "unavailable", 502),
                        ("pre", "bad_request", 400), ("pre", "protocol", 302), ("pre", "auth", 401)]
        outputs += [lb.run("status"), lb.run("check", "--json"),
                    lb.run("disable", "good", "--for", "1m", "--reason", f"my key is {CANARY}"),
                    lb.run("status", "--json"), lb.run("enable", "bad"), lb.run("chat", "-g", "first", "again")]
        shown = "".join(out.stdout + out.stderr for out in outputs)
        assert "***" in shown  # ... and masked where its message is shown
        for out in outputs:
            assert "Traceback" not in out.stderr
            assert_no_canary(out.stdout, out.stderr)
        state = lb.state.read_text()
        assert_no_canary(state)
        assert json.loads(state)["models"]["good"]["disabled"]["reason"] == "my key is ***"
    finally:
        lb.close()


async def test_logs_at_debug_never_hold_a_key(loop_server, tmp_path: Path, debug_logs) -> None:
    """Every echo, streamed and not, with every logger at DEBUG (the fixture checks each record)."""
    engine = matrix_engine(tmp_path, loop_server.base_url)
    try:
        for name, behaviour in ECHOES.items():
            loop_server.script("bad", behaviour)
            stream = name != "raw-metadata"
            loop_server.script("good", Stream(tokens=GOOD_TOKENS) if stream else completion(GOOD_TEXT))
            engine.enable("bad")
            run = await drive(engine, "first", stream=stream)
            assert isinstance(run.final, Answered) and run.final.model == "good", (name, run.rows())
            assert_no_canary(run.events, engine.statuses(), [s.to_json() for s in engine.statuses()])
        engine.persist_health()
    finally:
        await engine.aclose()
    assert any("unparseable stream line" in r.getMessage() for r in debug_logs.records)
    assert any("***" in r.getMessage() for r in debug_logs.records)
    assert_no_canary((tmp_path / "state.json").read_text())


def svg_texts(svg: str) -> str:
    """The raw SVG and its visible text (tags dropped, entities decoded), to search both."""
    return svg + "\n" + html.unescape(re.sub(r"<[^>]+>", "", svg))


async def test_tui_screenshots_and_export_never_show_a_key(loop_server, tmp_path: Path, monkeypatch) -> None:
    isolate_tui(monkeypatch, tmp_path)
    monkeypatch.setenv("MF_LOOP_KEY", CANARY)
    loop_server.script("pre", ECHOES["error-chunk"])  # streams, then an error chunk that echoes the key
    loop_server.script("bad", ECHOES["401-message"])  # the key in a 401 message: the provider is blocked
    loop_server.script("good", Stream(tokens=GOOD_TOKENS))
    engine = matrix_engine(tmp_path, loop_server.base_url, ttft=3.0, stall=3.0, connect=3.0)
    app = tui_app(engine, tmp_path)
    shots: list[str] = []
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("ctrl+g")  # group `last`: pre (interrupted), then bad (401): no answer
        await send_prompt(pilot, "hello there")
        await chat_done(pilot)
        assert app.main.chat.prompt.value == "hello there"  # kept: nothing answered
        app.main.tick()
        await pilot.pause()
        shots.append(app.export_screenshot())
        await pilot.press("ctrl+l")  # the event log, with the failovers and the blocked provider
        await pilot.pause()
        shots.append(app.export_screenshot())
        await pilot.press("ctrl+g")  # group `first`: bad is skipped (blocked), good answers
        app.main.chat.prompt.value = ""
        await send_prompt(pilot, "and again")
        await chat_done(pilot, 2)
        app.main.tick()
        await pilot.pause()
        shots.append(app.export_screenshot())
        saved = Path(app.save_screenshot(path=str(tmp_path), filename="shot.svg"))
        shots.append(saved.read_text())
        await pilot.press("ctrl+s")
        await pilot.pause()
        exports = list((tmp_path / "exports").glob("*.md"))
        assert len(exports) == 1
        export = exports[0].read_text()
    visible = "".join(svg_texts(shot) for shot in shots)
    assert "401" in visible and "***" in visible  # the failure is shown, the key masked
    for shot in shots:
        assert_no_canary(svg_texts(shot))
    assert "## You" in export and GOOD_TEXT in export and "interrupted" in export
    assert_no_canary(export, (tmp_path / "state.json").read_text())
