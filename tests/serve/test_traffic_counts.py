"""The traffic counters: what is in flight, what was served today (local days), answers per model."""

from __future__ import annotations

import time

from tui.engine.serve.traffic import Traffic


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> float:
    return time.mktime((year, month, day, hour, minute, 0, 0, 0, -1))


def test_today_counts_the_local_day_and_starts_again_after_midnight() -> None:
    now = [local(2026, 12, 31, 23, 58)]  # the last day of a month and of a year
    traffic = Traffic(clock=lambda: now[0])
    first = traffic.begin("a", "/v1/chat/completions")
    traffic.begin("b", "/v1/messages")
    assert (traffic.today, traffic.in_flight) == (2, 2)
    now[0] = local(2026, 12, 31, 23, 59)
    traffic.end(first, "done", 200)
    assert (traffic.today, traffic.in_flight) == (2, 1)
    now[0] = local(2027, 1, 1, 0, 1)
    assert traffic.today == 0
    traffic.begin("c", "/v1/chat/completions")
    assert traffic.today == 1
    now[0] = local(2027, 1, 1, 23, 59)
    assert traffic.today == 1
    now[0] = local(2027, 1, 3, 9, 0)  # a day with no request at all in between
    assert traffic.today == 0


def test_answers_are_counted_per_model_once() -> None:
    traffic = Traffic(clock=lambda: local(2026, 6, 1, 12))
    record = traffic.begin("a", "/v1/chat/completions")
    record.model = "m1"
    traffic.end(record, "done", 200)
    traffic.end(record, "cancelled", 499)  # a second end changes nothing
    failed = traffic.begin("a", "/v1/chat/completions")
    failed.model = "m2"
    traffic.end(failed, "failed", 502)
    assert dict(traffic.served_by) == {"m1": 1} and traffic.in_flight == 0 and record.state == "done"
