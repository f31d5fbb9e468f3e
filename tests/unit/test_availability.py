"""The breaker on a fake clock: manual and automatic disables, growth, half-open, provider blocks."""

from __future__ import annotations

import pytest

from tui.engine.state.availability import Availability
from tui.engine.clock import FakeClock
from tui.engine.config import Config, ModelConfig, Policy, ProviderConfig
from tui.engine.failures import Failure, FailureKind
from tui.engine.state.file_store import FileStore

POLICY = Policy(cooldown_base=10, cooldown_factor=2, cooldown_max=60)


def make_config() -> Config:
    providers = {"p": ProviderConfig("p", "http://127.0.0.1:1/v1", "P_KEY"),
                 "q": ProviderConfig("q", "http://127.0.0.1:2/v1", None)}
    models = {"a": ModelConfig("a", "a", "p", POLICY), "b": ModelConfig("b", "b", "p", POLICY),
              "c": ModelConfig("c", "c", "q", POLICY)}
    return Config(providers, "p", {"g": ("a", "b", "c")}, models, POLICY)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def av(clock: FakeClock) -> Availability:
    return Availability(make_config(), FileStore(None), clock, key_fingerprint=lambda p: "fp1")


def test_fresh_model_is_available(av: Availability) -> None:
    assert av.of("a").state == "available"
    assert av.of("a").usable


def test_manual_disable_counts_down_and_then_probes(av: Availability, clock: FakeClock) -> None:
    av.disable("a", 300, reason="flaky")
    state = av.of("a")
    assert (state.state, state.source, state.reason, state.remaining_s) == ("disabled", "manual", "flaky", 300)
    clock.advance(120)
    assert av.of("a").remaining_s == pytest.approx(180)
    clock.advance(181)
    assert av.of("a").state == "probing"


def test_manual_disable_until_enabled_has_no_deadline(av: Availability, clock: FakeClock) -> None:
    av.disable("a", None)
    clock.advance(10 ** 6)
    state = av.of("a")
    assert state.state == "disabled" and state.remaining_s is None
    av.enable("a")
    assert av.of("a").state == "available"


def test_success_never_lifts_a_manual_disable(av: Availability, clock: FakeClock) -> None:
    av.disable("a", 60)
    av.record_success("a")
    assert av.of("a").state == "disabled"
    av.record_failure("a", Failure(FailureKind.UNAVAILABLE, status=503))
    state = av.of("a")
    assert state.source == "manual" and state.remaining_s == pytest.approx(60)


def test_cooldown_grows_per_trip_and_caps(av: Availability, clock: FakeClock) -> None:
    seen = []
    for _ in range(5):
        seen.append(av.record_failure("a", Failure(FailureKind.UNAVAILABLE, status=503)))
        clock.advance(seen[-1])  # cooldown ends: half-open
        assert av.of("a").state == "probing"
    assert seen == [10, 20, 40, 60, 60]


def test_success_in_half_open_closes_and_resets_trips(av: Availability, clock: FakeClock) -> None:
    av.record_failure("a", Failure(FailureKind.TIMEOUT))
    av.record_failure("a", Failure(FailureKind.TIMEOUT))
    clock.advance(40)
    assert av.of("a").state == "probing"
    av.record_success("a")
    assert av.of("a").state == "available"
    assert av.record_failure("a", Failure(FailureKind.TIMEOUT)) == 10


def test_retry_after_is_a_floor(av: Availability) -> None:
    assert av.record_failure("a", Failure(FailureKind.RATE_LIMITED, status=429, retry_after_s=42)) == 42
    assert av.record_failure("b", Failure(FailureKind.RATE_LIMITED, status=429, retry_after_s=2)) == 10


def test_not_found_is_out_for_an_hour(av: Availability) -> None:
    assert av.record_failure("a", Failure(FailureKind.NOT_FOUND, status=404)) == 3600


def test_request_scoped_failures_disable_nothing(av: Availability) -> None:
    for kind in (FailureKind.CONTEXT_LENGTH, FailureKind.CONTENT_POLICY, FailureKind.BAD_REQUEST,
                 FailureKind.CANCELLED):
        assert av.record_failure("a", Failure(kind)) is None
    assert av.of("a").state == "available"


def test_quota_blocks_every_model_of_the_provider_until_reset(av: Availability, clock: FakeClock) -> None:
    out = av.record_failure("a", Failure(FailureKind.QUOTA, status=402, reset_at=clock.wall() + 600))
    assert out == pytest.approx(600)
    assert av.of("b").state == "blocked" and av.of("b").kind == "quota"
    assert av.of("c").state == "available"  # other provider
    clock.advance(601)
    assert av.of("b").state == "available"


def test_quota_without_reset_lasts_until_enabled(av: Availability, clock: FakeClock) -> None:
    assert av.record_failure("a", Failure(FailureKind.QUOTA, status=429)) == float("inf")
    clock.advance(10 ** 5)
    assert av.of("b").state == "blocked"
    av.enable("b")
    assert av.of("a").state == "available"


def test_auth_block_lifts_when_the_key_changes(clock: FakeClock) -> None:
    key = {"fp": "old"}
    av = Availability(make_config(), FileStore(None), clock, key_fingerprint=lambda p: key["fp"])
    av.record_failure("a", Failure(FailureKind.AUTH, status=401))
    assert av.of("b").state == "blocked"
    key["fp"] = "new"
    assert av.of("b").state == "available"


def test_a_later_shorter_failure_never_shortens_a_running_cooldown(av: Availability, clock: FakeClock) -> None:
    av.record_failure("a", Failure(FailureKind.RATE_LIMITED, status=429, retry_after_s=50))
    out = av.record_failure("a", Failure(FailureKind.UNAVAILABLE, status=503))
    assert out == pytest.approx(50)


def test_earliest_return(av: Availability, clock: FakeClock) -> None:
    av.disable("a", 100)
    av.record_failure("b", Failure(FailureKind.UNAVAILABLE))
    av.disable("c", None)
    assert av.earliest_return(["a", "b", "c"]) == pytest.approx(10)
    assert av.earliest_return(["c"]) is None


def test_a_manual_disable_that_ran_out_is_closed_by_a_successful_trial(av: Availability, clock: FakeClock) -> None:
    av.disable("a", 60)
    clock.advance(61)
    assert av.of("a").state == "probing"
    av.record_success("a")
    assert av.of("a").state == "available"


def test_a_manual_disable_that_ran_out_reopens_automatically_on_a_failed_trial(av: Availability,
                                                                                clock: FakeClock) -> None:
    av.disable("a", 60)
    clock.advance(61)
    assert av.record_failure("a", Failure(FailureKind.UNAVAILABLE, status=503)) == 10
    state = av.of("a")
    assert (state.state, state.source, state.kind) == ("disabled", "auto", "unavailable")


def test_since_marks_when_a_disable_began(av: Availability, clock: FakeClock) -> None:
    start = clock.wall()
    av.disable("a", 60)
    clock.advance(20)
    assert av.of("a").since == start and av.of("a").until == start + 60
