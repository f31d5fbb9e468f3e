"""A state document from a file is checked entry by entry: what does not fit is dropped with one
warning naming it, the rest is used; a value that is no state document at all is moved aside."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.engine.api import ModelFallback
from tui.engine.clock import FakeClock
from tui.engine.state import document
from tui.engine.state.file_store import VERSION, FileStore

from test_availability import make_config

NOW = FakeClock().wall()


def write(path: Path, doc: object) -> Path:
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def engine_on(path: Path) -> ModelFallback:
    return ModelFallback(make_config(), state_path=path, clock=FakeClock(), env={"P_KEY": "k" * 20})


BAD_ENTRIES = {
    "until is a word": {"disabled": {"source": "manual", "kind": "manual", "until": "soon"}},
    "until is NaN (as text)": {"disabled": {"source": "manual", "until": "NaN"}},
    "kind is a number": {"disabled": {"source": "auto", "kind": 5, "until": NOW + 60}},
    "until far beyond any deadline": {"disabled": {"source": "manual", "until": 1e308}},
    "trips is text": {"trips": "many"},
    "the entry is a list": [1, 2],
    "source unknown": {"disabled": {"source": "someone", "until": None}},
}


@pytest.mark.parametrize("bad", list(BAD_ENTRIES), ids=list(BAD_ENTRIES))
def test_one_bad_entry_is_dropped_with_one_warning_naming_it_and_the_rest_is_used(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path / "state.json", {"version": VERSION, "models": {
        "a": BAD_ENTRIES[bad],
        "b": {"disabled": {"source": "manual", "kind": "manual", "reason": "kept", "since": NOW, "until": None}}}})
    engine = engine_on(path)
    rows = {r.model: r for r in engine.statuses()}
    assert set(rows) == {"a", "b", "c"}  # every model has its row
    assert rows["a"].status != "disabled" and rows["b"].status == "disabled" and rows["b"].reason == "kept"
    assert len(engine.store.warnings) == 1 and "models['a']" in engine.store.warnings[0]
    engine.store.refresh()
    _ = engine.store.data
    assert len(engine.store.warnings) == 1  # said once however often it is read


def test_a_disable_ending_in_1e308_never_shows_a_giant_countdown(tmp_path: Path) -> None:
    path = write(tmp_path / "state.json", {"version": VERSION, "models": {
        "a": {"disabled": {"source": "manual", "until": 1e308, "since": NOW}}}})
    row = engine_on(path).status("a")
    assert row.remaining_s is None or row.remaining_s < 366 * 86400


@pytest.mark.parametrize("text, said", [
    ("null", "holds null"), ("[]", "holds a list"), ("7", "holds a number"), ('"x"', "holds a string"),
    ('{"models": {}}', "no 'version'"), ('{"version": "1"}', "unsupported state version '1'"),
])
def test_a_value_that_is_no_state_document_is_moved_aside_and_named(tmp_path: Path, text: str, said: str) -> None:
    path = write(tmp_path / "state.json", text)
    store = FileStore(path)
    assert store.data["models"] == {} and len(store.warnings) == 1
    assert said in store.warnings[0] and "moved it to" in store.warnings[0] and "version ?" not in store.warnings[0]
    assert list(tmp_path.glob("state.json.corrupt-*"))


def test_a_deeply_nested_file_is_moved_aside_not_a_recursion_error(tmp_path: Path) -> None:
    path = write(tmp_path / "state.json", "[" * 100_000)
    store = FileStore(path)
    assert store.data["models"] == {} and "nested too deeply" in store.warnings[0]
    assert list(tmp_path.glob("state.json.corrupt-*"))


def test_a_write_drops_what_did_not_fit_and_keeps_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path / "state.json", {"version": VERSION, "models": {"a": {"trips": "x"}, "b": {"trips": 2}},
                                           "health": {"c": {"status": "bogus"}}})
    engine = engine_on(path)
    engine.disable("c", 60)
    on_disk = json.loads(path.read_text())
    assert set(on_disk["models"]) == {"b", "c"} and on_disk["health"] == {}


def test_times_written_are_bounded(tmp_path: Path) -> None:
    from tui.engine.failures import Failure, FailureKind

    engine = engine_on(tmp_path / "state.json")
    with pytest.raises(ValueError):
        engine.disable("a", 1e308)
    engine.availability.record_failure("a", Failure(FailureKind.QUOTA, "out of credits", reset_at=1e308))
    block = json.loads((tmp_path / "state.json").read_text())["providers"]["p"]
    assert math.isfinite(block["until"]) and block["until"] - NOW <= 365 * 86400
    assert len(FileStore(tmp_path / "state.json").warnings) == 0  # what we write, we read back


def test_text_from_the_state_is_one_printable_line(tmp_path: Path) -> None:
    reason = "\x1b[31mRED\x1b[0m\nsecond line " + "x" * 5000
    path = write(tmp_path / "state.json", {"version": VERSION, "models": {
        "a": {"disabled": {"source": "manual", "kind": "manual", "reason": reason, "until": None}}},
        "health": {"b": {"status": "degraded", "error": "boom\r\n\x07bell"}}})
    rows = {r.model: r for r in engine_on(path).statuses()}
    for text in (rows["a"].reason, rows["a"].error, rows["b"].error):
        assert text and "\x1b" not in text and "\n" not in text and "\r" not in text and "\x07" not in text
        assert len(text) <= 200
    assert rows["a"].reason.startswith("\\x1b[31mRED\\x1b[0m second line")


# -- arbitrary input: never a traceback, never an empty panel ------------------------------------------
_SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
_JSON = st.recursive(_SCALAR, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=30)
_KEYS = st.sampled_from(["a", "b", "c", "disabled", "until", "since", "source", "kind", "reason", "trips", "probing",
                         "status", "error", "checked_at", "latency_ms", "owner", "rechecked", "key_fingerprint"])
_ENTRY = st.dictionaries(_KEYS, _JSON | st.dictionaries(_KEYS, _JSON, max_size=6), max_size=6)
_DOC = st.fixed_dictionaries({"version": st.just(VERSION)}, optional={
    section: st.dictionaries(st.sampled_from(["a", "b", "c", "x"]), _ENTRY | _JSON, max_size=4) | _JSON
    for section in ("models", "providers", "health", "leases", "catalog")})


def _read_everything(path: Path) -> None:
    engine = engine_on(path)
    rows = engine.statuses()
    assert [r.model for r in rows] == ["a", "b", "c"]  # never an empty panel
    for row in rows:
        assert row.glyph and (row.remaining_s is None or math.isfinite(row.remaining_s))
    engine.preferred("g")
    engine.first_return("g")
    engine.disable("a", 60)  # and the state stays writable
    assert engine.status("a").status == "disabled"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=_DOC | _JSON)
def test_any_json_document_reads_without_a_traceback(tmp_path: Path, doc: object) -> None:
    path = tmp_path / "state.json"
    path.unlink(missing_ok=True)
    write(path, json.dumps(doc))
    _read_everything(path)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200) | st.builds(lambda b: b"{\"version\": 1, " + b, st.binary(max_size=100)))
def test_any_bytes_read_without_a_traceback(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(raw)
    _read_everything(path)


def test_clean_reports_each_problem_once() -> None:
    doc = {"version": VERSION, "models": {"a": {"trips": -1}, "b": {"trips": 1}}, "providers": [],
           "stamps": {"models": {"a": {"at": "later"}}}}
    problems = document.clean(doc)
    assert doc["models"] == {"b": {"trips": 1}} and doc["providers"] == {} and doc["stamps"] == {"models": {}}
    assert len(problems) == 3
