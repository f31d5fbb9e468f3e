"""The local endpoint inside the TUI (`modelfallback --serve [ADDR]`).

The server shares the app's event loop and its engine, so a model disabled in the models panel
is out for the very next served request, and every served request shows in the traffic panel,
in the header (`serving 127.0.0.1:4141 · 3 in flight · 128 today`) and in the models panel's
Served column. The socket was bound before the app started (a bad or busy address is a usage
error, not a broken screen); accepting starts once the main screen is up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.widgets.traffic import TrafficPanel

if TYPE_CHECKING:
    from tui.engine.serve.app import ServeApp
    from tui.engine.serve.server import LocalServer
    from tui.screens.main import MainScreen


def serving_text(address: str, in_flight: int, today: int) -> str:
    return f"serving {address} · {in_flight} in flight · {today} today"


class Serving:
    """Starts and stops the endpoint and wires its traffic into the main screen."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.app: ServeApp = server.app

    async def start(self, screen: MainScreen) -> None:
        traffic = self.app.traffic
        panel = TrafficPanel(id="traffic")
        await screen.query_one("#body").mount(panel, before=screen.event_log)
        panel.attach(traffic)
        screen.models.show_served(traffic.served_by)
        address = self.server.address
        screen.status_bar.serving = lambda: serving_text(address, traffic.in_flight, traffic.today)
        await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()
