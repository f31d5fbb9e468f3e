"""The setup doctor in the TUI: run once at start in the background (no probes: the sweep probes),
one header line while a check fails and nothing popping up, F2 and the palette open the screen,
`r` checks again with probes, Esc closes."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static
from tui_helpers import SECRET, app_for, sim_engine, wait_until

from tui.engine.sim import Unavailable
from tui.engine.sim.catalog import Listing
from tui.screens.doctor import DoctorScreen

def screen_text(app) -> str:
    return "\n".join(str(w.render()) for w in app.screen.query(Static))


LISTED = {"vendor/alpha": Listing(), "vendor/beta": Listing()}  # vendor/gamma is not listed


async def test_a_failing_check_shows_one_header_line_and_nothing_pops_up(tmp_path: Path) -> None:
    engine = sim_engine(tmp_path, {}, catalog=LISTED)
    app = app_for(engine, tmp_path, background=True)
    async with app.run_test(size=(120, 40)) as pilot:
        main = app.main
        await wait_until(pilot, lambda: main.doctor.report is not None and not main.doctor.running, what="doctor")
        line = main.doctor.line
        assert line.display and str(line.render()).strip() == "✗ 1 problem in your setup · F2"
        assert not app._notifications  # nothing popped up
        assert main.has_class("-doctor-line")  # toasts, when there are any, start below the line
        assert not isinstance(app.screen, DoctorScreen)
        # the run at start sent no one-token probe of its own (the sweep's are one per model at most)
        probes = [m for m, path in engine.clients["sim"]._transport.requests if m and path.endswith("completions")]
        assert len(probes) <= 3


async def test_f2_shows_the_checks_r_runs_them_with_probes_and_escape_closes(tmp_path: Path) -> None:
    engine = sim_engine(tmp_path, {"vendor/beta": Unavailable()}, catalog=LISTED)
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, DoctorScreen))
        main = app.main
        await wait_until(pilot, lambda: main.doctor.report is not None and not main.doctor.running, what="doctor")
        text = screen_text(app)
        assert "✗ listed" in text and "'vendor/gamma' is not listed by sim" in text
        assert "fix: correct the id in groups.yaml" in text
        assert "✗ probe" in text and "503 unavailable" in text  # F2's first run includes probes
        assert SECRET not in text
        assert str(main.doctor.line.render()).strip() == "✗ 2 problems in your setup · F2"  # gamma listed, beta probe
        engine.clients["sim"]._transport.set_script("vendor/beta", engine.clients["sim"]._transport.default)
        await pilot.press("r")
        await wait_until(pilot, lambda: not main.doctor.running, what="the second run")
        text = screen_text(app)
        assert "✗ probe" not in text and "1 problem, " in text
        assert str(main.doctor.line.render()).strip() == "✗ 1 problem in your setup · F2"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, DoctorScreen))


async def test_the_palette_opens_the_doctor(tmp_path: Path) -> None:
    engine = sim_engine(tmp_path, {}, catalog={**LISTED, "vendor/gamma": Listing()})
    app = app_for(engine, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        for key in "Setup doctor":
            await pilot.press("space" if key == " " else key)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DoctorScreen))
        main = app.main
        await wait_until(pilot, lambda: main.doctor.report is not None and not main.doctor.running, what="doctor")
        assert not main.doctor.line.display  # every model listed and answering: no header line
        assert not main.has_class("-doctor-line")
