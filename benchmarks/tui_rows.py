"""Rows 5–8: the TUI, each app in a fresh headless subprocess (see `tui_harness.py`).

Rows whose target is a ratio run the baseline (a minimal Textual app with Header, DataTable,
Markdown, Input and Footer) in the same run, alternating with the app, and compare medians.
The loopback server, when one is needed, runs in its own process too.
"""

from __future__ import annotations

from benchmarks.common import LoopbackServer, Result, median, run_child

HARNESS = ["-m", "benchmarks.tui_harness"]


def _start_pair(quick: bool) -> tuple[list[dict], list[dict]]:
    """Alternating fresh-process starts of the minimal app and ours (after one discarded warm-up of
    each, which also leaves compiled bytecode behind as an installed program would have)."""
    runs = 3 if quick else 9
    run_child([*HARNESS, "start-minimal"])
    run_child([*HARNESS, "start-app"])
    minimal: list[dict] = []
    ours: list[dict] = []
    for i in range(runs):
        order = ("start-minimal", "start-app") if i % 2 == 0 else ("start-app", "start-minimal")
        for mode in order:
            (minimal if mode == "start-minimal" else ours).append(run_child([*HARNESS, mode]))
    return minimal, ours


class Startup:
    NAME = "startup"
    TITLE = "TUI start to first screen (headless)"
    TARGET = "≤ 1.3× minimal Textual app"
    LIMIT = 1.3

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        minimal, ours = _start_pair(quick)
        b = median([r["ready_ms"] for r in minimal])
        m = median([r["ready_ms"] for r in ours])
        details = (f"{len(ours)} fresh processes each, from the first line of the harness (imports included): "
                   f"imports+setup {median([r['import_ms'] for r in ours]):.0f} ms vs "
                   f"{median([r['import_ms'] for r in minimal]):.0f} ms")
        return Result(cls.NAME, cls.TITLE, m, "ms", b, cls.TARGET, m / b <= cls.LIMIT, details)


class MemoryStart:
    NAME = "mem-start"
    TITLE = "memory at start (RSS once the first screen is up)"
    TARGET = "≤ 1.6× minimal Textual app"
    LIMIT = 1.6

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        minimal, ours = _start_pair(quick=True)
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
    TARGET = "≤ 3 % of one core"
    LIMIT = 3.0

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        seconds = 5.0 if quick else 30.0
        out = run_child([*HARNESS, "idle", "--seconds", str(seconds)], timeout=seconds + 120)
        details = (f"{out['cpu_s']:.2f} s CPU over {out['wall_s']:.1f} s (utime+stime from /proc/self/stat); "
                   f"{out['countdowns']} countdowns on screen, e.g. {out['sample'][0]!r}")
        return Result(cls.NAME, cls.TITLE, out["cpu_pct"], "%", None, cls.TARGET, out["cpu_pct"] <= cls.LIMIT,
                      details)


class Streaming:
    NAME = "stream"
    TITLE = "streaming render: 5,000 tokens as fast as the server sends"
    TARGET = "all text on screen ≤ 1 s after the last token; key press handled ≤ 100 ms"
    LAG_LIMIT_S = 1.0
    KEY_LIMIT_MS = 100.0

    @classmethod
    def run(cls, quick: bool = False) -> Result:
        tokens = answer_tokens(5000)
        with LoopbackServer({"scripts": {"bench/stream": [{"type": "stream", "tokens": tokens}]}}) as server:
            out = run_child([*HARNESS, "stream", "--base-url", server.base_url], timeout=600)
            sent = [s["sent"] for s in server.streams_sent()]
        server_lag = out["on_screen_at"] - sent[-1] if sent else float("nan")
        server_s = sent[-1] - out["first_token_at"] if sent else float("nan")
        ok = out["complete"] and out["visible"] and out["tokens"] == len(tokens)
        keys_ok = out["key_presses"] > 0 and max(out["key_max_ms"], out["stall_max_ms"]) <= cls.KEY_LIMIT_MS
        met = ok and out["lag_s"] <= cls.LAG_LIMIT_S and keys_ok
        rate = out["tokens"] / out["stream_s"]
        details = (f"{out['tokens']} tokens streamed in {out['stream_s']:.2f} s ({rate:.0f}/s); "
                   f"all on screen {out['lag_s'] * 1000:.0f} ms after the last token; "
                   f"{out['key_presses']} key presses "
                   f"during the stream handled in median {out['key_median_ms']:.1f} ms, "
                   f"max {out['key_max_ms']:.1f} ms; "
                   f"longest event-loop stall during the stream {out['stall_max_ms']:.0f} ms; "
                   f"{out['blocks']} Markdown blocks; complete={out['complete']} visible={out['visible']}. "
                   f"The server had sent everything {server_s:.2f} s after the app's first token: the app reads "
                   f"only as fast as it renders, so the screen caught up {server_lag:.2f} s after the server's "
                   f"last byte")
        return Result(cls.NAME, cls.TITLE, out["lag_s"] * 1000, "ms", None, cls.TARGET, met, details,
                      {"key_max_ms": out["key_max_ms"], "key_median_ms": out["key_median_ms"],
                       "stall_max_ms": out["stall_max_ms"], "stream_s": out["stream_s"],
                       "server_to_screen_s": server_lag, "server_send_s": server_s})


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
    return out[: n - 2] + ["\n\n", "ENDOFANSWER"]


ROWS = [Startup, Streaming, Idle, MemoryStart, MemoryTurns]
