"""`modelfallback --serve`: the endpoint inside the TUI, its traffic live on screen."""

from __future__ import annotations

import time

import pytest
from faultserver import FaultServer, Reply, Stream
from serve_kit import chat_body, make_engine, messages_body

from tui.app import make_app
from tui.engine.serve.app import ServeApp
from tui.engine.serve.server import LocalServer
from tui.widgets.traffic import TrafficPanel


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))


async def _until(pilot, predicate, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.02)


async def test_served_requests_show_live_and_a_tui_disable_counts_at_once(tmp_path, fault_server: FaultServer) -> None:
    import httpx

    fault_server.script("bad", Reply("from bad"))
    fault_server.script("good", Stream(tokens=["from ", "good"]))
    engine = make_engine(tmp_path, fault_server, ttft=5.0)  # no deadline under test: a pause is not a timeout
    server = LocalServer(ServeApp(engine), "127.0.0.1", 0)
    app = make_app(engine, config_dir=tmp_path / "config", export_dir=tmp_path, background=False, server=server)
    async with app.run_test(size=(140, 40)) as pilot:
        await _until(pilot, lambda: server.server.started, "the endpoint to accept")
        url = f"http://{server.address}"
        async with httpx.AsyncClient(base_url=url, timeout=15, headers={"user-agent": "aider/0.80"}) as client:
            r = await client.post("/v1/chat/completions", json=chat_body())
            assert r.headers["x-modelfallback-model"] == "bad"
            app.main.disable("bad", 300, "")  # what the disable dialog does when the user confirms
            r = await client.post("/v1/messages", json=messages_body(stream=True))
            assert r.headers["x-modelfallback-model"] == "good"  # out at once, for the very next request
        panel = app.main.query_one(TrafficPanel)
        await _until(pilot, lambda: panel.row_count == 2, "two rows in the traffic panel")

        def streamed_one_done() -> bool:  # the client may hold the whole stream before the server's record ends
            app.main.tick()
            return str(panel.get_row_at(1)[5]) == "done"

        await _until(pilot, streamed_one_done, "the streamed request's row to say done")
        await pilot.pause()
        rows = [[str(cell) for cell in panel.get_row_at(i)] for i in range(2)]
        assert rows[0][1] == "aider/0.80" and rows[0][2] == "/v1/chat/completions" and rows[0][4] == "bad"
        assert rows[1][2] == "/v1/messages" and rows[1][4] == "good" and rows[1][5] == "done"
        header = str(app.main.status_bar.render())
        assert f"serving {server.address} · 0 in flight · 2 today" in header
        table = app.main.models
        assert str(table.get_cell("good", "served")) == "1" and str(table.get_cell("bad", "served")) == "1"
    assert not server.server.started or server.server.should_exit  # stopped with the app
