"""SVG snapshots of the setup doctor: its header line on the main screen, and its screen (F2).

The demo's config (its path replaced by a fixed name), a state in memory and a frozen clock keep
the pictures byte-stable: every latency reads 0 ms.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from snapshot_apps import app, quiet

from tui.engine.api import ModelFallback
from tui.engine.clock import FakeClock
from tui.engine.config.loader import load_config
from tui.engine.config.paths import default_config_path
from tui.engine.sim import SimulatorTransport, Unavailable
from tui.engine.sim.demo import demo_catalog


def doctor_engine() -> ModelFallback:
    """The demo's groups; claude-3.5-sonnet answers 503 and mistral-7b is not listed."""
    clock = FakeClock()
    config = replace(load_config(default_config_path()), path=Path("groups.yaml"))
    catalog = demo_catalog()
    del catalog["mistralai/mistral-7b-instruct"]
    transport = SimulatorTransport({"anthropic/claude-3.5-sonnet": Unavailable()}, clock=clock, catalog=catalog)
    return ModelFallback(config, state_path=None, clock=clock, transport=transport,
                         env={"OPENROUTER_API_KEY": "sk-or-snapshot-0123456789"})


async def _doctor_ran(pilot) -> None:
    main = pilot.app.main
    main.doctor.run(probes=True)
    while main.doctor.running:
        await pilot.pause(0.05)
    await quiet(pilot)


def test_doctor_header_line(snap_compare, tmp_path):
    """The main screen at 120×40 after a doctor run found problems: under the top line, in the
    error colour, `✗ 2 problems in your setup · F2` (claude-3.5-sonnet's probe answers 503,
    mistral-7b is not listed); no toast."""
    assert snap_compare(app(tmp_path, doctor_engine()), terminal_size=(120, 40), run_before=_doctor_ran)


def test_doctor_screen(snap_compare, tmp_path):
    """The doctor screen (F2) over the main screen: config and state, the provider's key (its
    fingerprint, never the key), each model with ✓ listed / context / price / probe / state,
    claude-3.5-sonnet's ✗ probe with its fix line, mistral-7b's ✗ listed with its fix; the
    border's `r checks again, with probes · Esc closes`."""

    async def run_before(pilot):
        await _doctor_ran(pilot)
        await pilot.press("f2")
        await pilot.pause(0.3)

    assert snap_compare(app(tmp_path, doctor_engine()), terminal_size=(120, 40), run_before=run_before)
