"""How a served request reads: the headless `serve` log line and the traffic view's cells.

    09:41:02 claude-cli/2.1 POST /v1/messages coding → deepseek-coder done 200 ·
    claude-3.5-sonnet 503 → out 0:10 · 812 tok · $0.0031 · 412 ms
"""

from __future__ import annotations

import time

from tui.engine.serve.traffic import Served
from tui.engine.text import printable
from tui.wording.trail import attempt_text, format_cost, short_name


def clock_text(wall: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(wall))


def tokens_text(record: Served) -> str:
    if record.prompt_tokens is None and record.completion_tokens is None:
        return ""
    return f"{(record.prompt_tokens or 0) + (record.completion_tokens or 0)} tok"


def served_trail(record: Served) -> str:
    """The failed and skipped attempts before the answer (or the failure), as the chat trail writes them."""
    return " · ".join(attempt_text(a) for a in record.attempts if a.outcome != "ok")


def served_line(record: Served) -> str:
    """One line per finished request: time, client, route, group → answering model, state and
    status, the attempt trail, tokens, cost, milliseconds."""
    model = short_name(record.model) if record.model else "-"
    head = (f"{clock_text(record.started)} {printable(record.client)[:40]} {record.route} {record.group or '-'} "
            f"→ {model} {record.state} {record.status if record.status is not None else '-'}")
    parts = [head]
    if trail := served_trail(record):
        parts.append(trail)
    if record.state == "failed" and record.detail:
        parts.append(printable(record.detail)[:200])
    if tokens := tokens_text(record):
        parts.append(tokens)
    if cost := format_cost(record.cost):
        parts.append(cost)
    if record.ms is not None:
        parts.append(f"{record.ms} ms")
    return " · ".join(parts)
