"""The child side of the streaming rows: one long answer from the loopback server into the app.

Run by `tui_harness.py` (modes `stream` and `keys-idle`). What is timed, all on
`time.perf_counter()` (CLOCK_MONOTONIC, so comparable with the loopback server's log of when it
sent a stream's last byte, `tests/faultserver.py --stream-log`):

- **intake**: when the chat pane received the first and the last token from the engine (the
  engine's `chat()` is wrapped; nothing else changes), so tokens per second *taken in* while the
  app also renders;
- **on screen**: the first screen update, after the answer ended, whose drawn text contains the
  answer's last word (`ENDOFANSWER`): `App._display` is wrapped and each update after the answer
  ended is rendered to text and searched (headless, so nothing is written to a terminal; the
  compositor's update is built all the same);
- **key presses** (`typing`): a key every 25 ms from another thread through the driver's
  `send_message`, as a terminal's input thread delivers them, from the first token until the
  answer is on screen (its last frame included); key n is handled when the prompt first shows
  n x's (a `watch` on the prompt's cursor);
- **stalls**: over the same window, the longest the event loop was busy (a 5 ms sleep that
  overslept), and every garbage collection (`gc.callbacks`: generation and pause).
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from pathlib import Path

FINAL_WORD = "ENDOFANSWER"


class GCWatch:
    """Every collection while active: (generation, pause in seconds)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self.active = False
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if not self.active:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._start))

    def summary(self) -> dict:
        full = [p for g, p in self.pauses if g == 2]
        return {"gc_count": len(self.pauses), "gc_full": len(full),
                "gc_total_ms": sum(p for _, p in self.pauses) * 1000,
                "gc_max_ms": max((p for _, p in self.pauses), default=0) * 1000,
                "gc_full_max_ms": max(full, default=0) * 1000}


class Typist:
    """A key every `every` seconds from another thread while `when()` is true."""

    def __init__(self, app, loop, when, every: float = 0.025) -> None:
        from textual import events

        self.app, self.loop, self.when, self.every = app, loop, when, every
        self.pressed: list[float] = []
        self.handled: list[float] = []
        self._stop = threading.Event()
        self._key = events.Key
        self._thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, prompt) -> None:
        """Key n is handled when the prompt first shows n x's (other changes, such as the prompt
        emptied when it was sent, do not count). The prompt is a TextArea: its cursor (`selection`)
        moves with every key it takes in, so that is what is watched."""
        def shown(_selection: object) -> None:
            count = prompt.text.count("x")
            if count > len(self.handled):
                self.handled += [time.perf_counter()] * (count - len(self.handled))

        self.app.watch(prompt, "selection", shown, init=False)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            if self.when():
                self.pressed.append(time.perf_counter())
                self.loop.call_soon_threadsafe(self.app._driver.send_message, self._key("x", "x"))

    async def finish(self) -> list[float]:
        self._stop.set()
        self._thread.join()
        deadline = time.monotonic() + 30
        while len(self.handled) < len(self.pressed) and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        return [h - p for p, h in zip(self.pressed, self.handled, strict=False)]


def latency_summary(lat: list[float]) -> dict:
    from benchmarks.common import median, pct

    if not lat:
        return {"key_presses": 0, "key_max_ms": 0.0, "key_median_ms": 0.0, "key_p90_ms": 0.0}
    return {"key_presses": len(lat), "key_max_ms": max(lat) * 1000, "key_median_ms": median(lat) * 1000,
            "key_p90_ms": pct(lat, 0.9) * 1000}


async def mode_stream(our_app, until_ready, size, folder: Path, base_url: str, typing: bool) -> dict:
    from textual import events

    from tui.engine.events import Answered, Token
    from tui.widgets.markdown_body import AnswerMarkdown

    engine, app = our_app(folder, base_url, {"main": ["bench/stream"]}, background=False)
    marks: dict[str, float] = {}
    counted = [0]
    real_chat = engine.chat

    def timed_chat(*args, **kwargs):
        async def relay():
            async for event in real_chat(*args, **kwargs):
                if isinstance(event, Token):
                    counted[0] += 1
                    now = time.perf_counter()
                    marks.setdefault("first_token", now)
                    marks["last_token"] = now
                elif isinstance(event, Answered):
                    marks["answered"] = time.perf_counter()
                yield event
        return relay()

    engine.chat = timed_chat  # the chat pane calls engine.chat(); this only timestamps its events
    real_display = app._display

    def display(screen, renderable) -> None:
        real_display(screen, renderable)
        if renderable is None or "answered" not in marks or "on_screen" in marks:
            return
        text = renderable.render_segments(app.console) if hasattr(renderable, "render_segments") else ""
        if FINAL_WORD in text:
            marks["on_screen"] = time.perf_counter()

    app._display = display
    watch = GCWatch()
    gc.callbacks.append(watch)
    async with app.run_test(headless=True, size=size) as pilot:
        await until_ready(app)
        chat = app.main.chat
        loop = asyncio.get_running_loop()
        # typing from the first token until the whole answer is on screen (its last frame included)
        typist = Typist(app, loop, lambda: "first_token" in marks and "on_screen" not in marks)
        chat.prompt.value = "Please write a long answer."  # no x in it: only typed keys add x's
        if typing:
            typist.watch(chat.prompt)
            typist.start()
        stalls: list[float] = []
        watch.active = True
        # Enter as the terminal sends it (Pilot.press would wait until the app is idle: after the answer)
        loop.call_soon(app._driver.send_message, events.Key("enter", "\r"))
        deadline = time.monotonic() + 120
        # the longest the event loop was busy from the first token until the answer was on screen
        while "on_screen" not in marks and time.monotonic() < deadline:
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            if "first_token" in marks:
                stalls.append(time.perf_counter() - t - 0.005)
        watch.active = False
        lat = await typist.finish() if typing else []
        while chat.busy:
            await asyncio.sleep(0.005)
        await pilot.pause()
        body = chat.query(AnswerMarkdown).last()
        complete = "".join(body.source.split()).endswith(FINAL_WORD)
        visible = FINAL_WORD in app.export_screenshot()
        blocks = len(body.blocks)
        widgets = sum(1 for _ in chat.walk_children())
    gc.callbacks.remove(watch)
    return {"tokens": counted[0], "intake_s": marks["last_token"] - marks["first_token"],
            "first_token_at": marks["first_token"], "last_token_at": marks["last_token"],
            "on_screen_at": marks.get("on_screen"),
            "complete": complete, "visible": visible, "blocks": blocks, "widgets": widgets,
            "stall_max_ms": max(stalls, default=0) * 1000, **watch.summary(),
            **latency_summary(lat)}


async def mode_keys_idle(our_app, until_ready, size, folder: Path, seconds: float) -> dict:
    """The baseline for key presses: the same typing into the same app with nothing streaming."""
    _, app = our_app(folder, "http://127.0.0.1:9/v1", {"main": ["bench/stream"]}, background=False)
    async with app.run_test(headless=True, size=size) as pilot:
        await until_ready(app)
        await pilot.pause()
        typist = Typist(app, asyncio.get_running_loop(), lambda: True)
        typist.watch(app.main.chat.prompt)
        typist.start()
        await asyncio.sleep(seconds)
        lat = await typist.finish()
    return latency_summary(lat)
