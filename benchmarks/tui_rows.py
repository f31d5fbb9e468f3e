"""Rows 5–8: the TUI, each app in a fresh headless subprocess (see `tui_harness.py`).

Rows whose target is a ratio run the baseline (a minimal Textual app with Header, DataTable,
Markdown, Input and Footer) in the same run, alternating with the app, and compare medians.
The loopback server, when one is needed, runs in its own process too. Children run with
bytecode caching on, as a user's Python does (`common.child_env`).
"""

from __future__ import annotations

import tempfile

from benchmarks.common import LoopbackServer, Result, median, run_child
from benchmarks.tui_stream import FINAL_WORD

HARNESS = ["-m", "benchmarks.tui_harness"]


def _start_pair(quick: bool) -> tuple[list[dict], list[dict], dict]:
    """Alternating fresh-process starts of the minimal app and ours, each in the same home folder
    (config, state, caches) run after run, as a returning user's are. The first start of each is
    discarded: it leaves compiled bytecode and the config cache behind, as an installed program
    that ran before has them (ours is also returned: a first start)."""
    runs = 3 if quick else 9
    with tempfile.TemporaryDirectory(prefix="mf-bench-home-") as home:
        start = [*HARNESS, "start-app", "--home", home]
        run_child([*HARNESS, "start-minimal", "--home", home])
        first = run_child(start)
        minimal: list[dict] = []
        ours: list[dict] = []
        for i in range(runs):
            for mode in (("start-minimal", "start-app") if i % 2 == 0 else ("start-app", "start-minimal")):
                if mode == "start-app":
                    ours.append(run_child(start))
                else:
                    minimal.append(run_child([*HARNESS, mode, "--home", home]))
    return minimal, ours, first


class Startup:
    NAME = "startup"
    TITLE = "TUI start to first screen (headless)"
    TARGET = "≤ 1.3× minimal Textual app"
    LIMIT = 1.3

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        minimal, ours, first = _start_pair(quick)
        b = median([r["ready_ms"] for r in minimal])
        m = median([r["ready_ms"] for r in ours])
        details = (f"{len(ours)} fresh processes each, from the first line of the harness (imports included), ours "
                   f"as `modelfallback` builds it (command line, config cache, make_app): imports+setup "
                   f"{median([r['import_ms'] for r in ours]):.0f} ms vs {median([r['import_ms'] for r in minimal]):.0f}"
                   f" ms; the very first start (bytecode and config cache cold) {first['ready_ms']:.0f} ms")
        return Result(cls.NAME, cls.TITLE, m, "ms", b, cls.TARGET, m / b <= cls.LIMIT, details)


class MemoryStart:
    NAME = "mem-start"
    TITLE = "memory at start (RSS once the first screen is up)"
    TARGET = "≤ 1.6× minimal Textual app"
    LIMIT = 1.6

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        minimal, ours, _ = _start_pair(quick=True)
        b = median([r["rss_mb"] for r in minimal])
        m = median([r["rss_mb"] for r in ours])
        details = f"VmRSS of {len(ours)} fresh headless processes each, read just after the first screen"
        return Result(cls.NAME, cls.TITLE, m, "MB", b, cls.TARGET, m / b <= cls.LIMIT, details)


class MemoryTurns:
    NAME = "mem-turns"
    TITLE = "memory after 100 answered turns of 500 tokens"
    TARGET = "≤ 150 MB RSS"
    LIMIT_MB = 150.0

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        turns = 20 if quick else 100
        with LoopbackServer({"scripts": {}, "default": {"type": "stream", "tokens": answer_tokens(500)}}) as server:
            out = run_child([*HARNESS, "memory", "--base-url", server.base_url, "--turns", str(turns)], timeout=3600)
        end = out["end_mb"]
        met = end <= cls.LIMIT_MB and out["answers"] == turns
        details = (f"{out['answers']} turns through the app (the whole conversation resent each turn), answers of "
                   f"headings, paragraphs, a list and a code block; {out['widgets']} widgets on the screen at the "
                   f"end; RSS {out['start_mb']:.0f} MB once up, then every 10 turns: "
                   + ", ".join(f"{mb:.0f}" for _, mb in out["samples"]))
        return Result(cls.NAME, cls.TITLE, end, "MB", None, cls.TARGET, met, details,
                      {"start_mb": out["start_mb"], "turns": out["answers"], "samples": out["samples"]})


class Idle:
    NAME = "idle"
    TITLE = "idle CPU: 100 models, 50 running countdowns, probes off"
    TARGET = "≤ 1.5 % of one core"
    LIMIT = 1.5

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        seconds = 5.0 if quick else 30.0
        base = run_child([*HARNESS, "idle-minimal", "--seconds", str(seconds)], timeout=seconds + 120)
        out = run_child([*HARNESS, "idle", "--seconds", str(seconds)], timeout=seconds + 120)
        details = (f"{out['cpu_s']:.2f} s CPU over {out['wall_s']:.1f} s (utime+stime from /proc/self/stat); "
                   f"{out['countdowns']} countdowns on screen, e.g. {out['sample'][0]!r}; baseline: the minimal "
                   f"app idle with its Input focused, {base['cpu_s']:.2f} s over {base['wall_s']:.1f} s")
        return Result(cls.NAME, cls.TITLE, out["cpu_pct"], "%", base["cpu_pct"], cls.TARGET,
                      out["cpu_pct"] <= cls.LIMIT, details)


def _stream(typing: bool) -> tuple[dict, list[float], int]:
    tokens = answer_tokens(5000)
    with LoopbackServer({"scripts": {"bench/stream": [{"type": "stream", "tokens": tokens}]}}) as server:
        args = [*HARNESS, "stream", "--base-url", server.base_url] + (["--typing"] if typing else [])
        out = run_child(args, timeout=600)
        sent = [s["sent"] for s in server.streams_sent()]
    return out, sent, len(tokens)


class Streaming:
    NAME = "stream"
    TITLE = "streaming 5,000 tokens into the chat as fast as the server sends them"
    TARGET = "on screen ≤ 0.5 s after the provider's last byte; ≥ 2,000 tokens/s taken in"
    LAG_LIMIT_MS = 500.0
    RATE_LIMIT = 2000.0

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        out, sent, n = _stream(typing=False)
        rate = out["tokens"] / out["intake_s"] if out["intake_s"] > 0 else float("inf")
        ok = out["complete"] and out["visible"] and out["tokens"] == n and sent and out["on_screen_at"]
        lag_ms = (out["on_screen_at"] - sent[-1]) * 1000 if ok else None
        server_s = sent[-1] - out["first_token_at"] if sent else float("nan")
        met = bool(ok) and lag_ms <= cls.LAG_LIMIT_MS and rate >= cls.RATE_LIMIT
        details = (f"the server sent its last byte {server_s:.2f} s after the app's first token; the app took in "
                   f"{out['tokens']} tokens in {out['intake_s']:.2f} s ({rate:,.0f} tokens/s) and had all of it on "
                   f"screen {lag_ms if lag_ms is not None else float('nan'):.0f} ms after the server's last byte "
                   f"({(out['on_screen_at'] or 0) - out['last_token_at']:.3f} s after its own last token); "
                   f"{out['blocks']} Markdown blocks in {out['widgets']} widgets in the chat pane; longest "
                   f"event-loop stall {out['stall_max_ms']:.0f} ms; {out['gc_count']} collections taking "
                   f"{out['gc_total_ms']:.0f} ms, {out['gc_full']} full (longest {out['gc_full_max_ms']:.0f} ms); "
                   f"complete={out['complete']} visible={out['visible']}")
        return Result(cls.NAME, cls.TITLE, lag_ms, "ms", None, cls.TARGET, met, details,
                      {"rate": rate, "intake_s": out["intake_s"], "server_send_s": server_s,
                       "after_own_last_token_s": (out["on_screen_at"] or 0) - out["last_token_at"]})


class KeysWhileStreaming:
    NAME = "keys"
    TITLE = "a key press while a 5,000-token answer streams (median)"
    TARGET = "median ≤ 50 ms, max ≤ 150 ms"
    MEDIAN_LIMIT_MS = 50.0
    MAX_LIMIT_MS = 150.0

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        out, _, n = _stream(typing=True)
        base = run_child([*HARNESS, "keys-idle", "--seconds", "3"], timeout=120)
        ok = out["complete"] and out["key_presses"] > 0 and out["tokens"] == n
        met = ok and out["key_median_ms"] <= cls.MEDIAN_LIMIT_MS and out["key_max_ms"] <= cls.MAX_LIMIT_MS
        details = (f"{out['key_presses']} key presses, one every 25 ms from another thread while the answer "
                   f"streamed ({out['intake_s']:.2f} s): median {out['key_median_ms']:.1f} ms, p90 "
                   f"{out['key_p90_ms']:.1f} ms, max {out['key_max_ms']:.1f} ms; longest event-loop stall "
                   f"{out['stall_max_ms']:.0f} ms; {out['gc_count']} collections taking {out['gc_total_ms']:.0f} ms, "
                   f"{out['gc_full']} full (longest "
                   f"{out['gc_full_max_ms']:.0f} ms, any {out['gc_max_ms']:.0f} ms); baseline: the same typing "
                   f"with nothing streaming, median {base['key_median_ms']:.1f} ms, max {base['key_max_ms']:.1f} ms")
        return Result(cls.NAME, cls.TITLE, out["key_median_ms"], "ms", base["key_median_ms"], cls.TARGET, met,
                      details, {"key_max_ms": out["key_max_ms"], "key_p90_ms": out["key_p90_ms"],
                                "stall_max_ms": out["stall_max_ms"], "gc_full_max_ms": out["gc_full_max_ms"],
                                "baseline_max_ms": base["key_max_ms"]})


# -- a realistic answer --------------------------------------------------------------------------

_WORDS = [
    "the", "model", "answers", "with", "a", "fallback", "chain", "when", "the", "first", "provider", "is",
    "down", "and", "the", "next", "one", "streams", "tokens", "quickly", "while", "the", "user", "reads",
    "every", "line", "of", "the", "reply", "in", "the", "terminal"
]


def answer_tokens(n: int) -> list[str]:
    """`n` tokens of Markdown shaped like an LLM answer: headings, paragraphs, lists, code fences.

    Deterministic; the last token is `ENDOFANSWER`, so a check can tell the whole text arrived.
    """
    out: list[str] = []
    i = 0
    section = 0
    while len(out) < n:
        section += 1
        out += [f"## Part {section}", "\n\n"]
        for _ in range(2):  # two paragraphs of ~40 words
            out += [f"{_WORDS[(i + k) % len(_WORDS)]} " for k in range(40)]
            out.append("\n\n")
            i += 7
        out += [f"- item {k}: {_WORDS[(i + k) % len(_WORDS)]}\n" for k in range(5)]
        out.append("\n")
        out += ["```python\n"] + [f"value_{k} = {k} * 2\n" for k in range(6)] + ["```\n\n"]
    return out[: n - 2] + ["\n\n", FINAL_WORD]


ROWS = [Startup, Streaming, KeysWhileStreaming, Idle, MemoryStart, MemoryTurns]
