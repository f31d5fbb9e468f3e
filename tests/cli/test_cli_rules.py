"""The command line's rules for what a new user hits first: an unwritable state, usage errors under
`--json`, the duration rule, `enable` of a model that is not out, a missing key named with its fix,
short names, and text from the state printed as one printable line. In-process (`tui.cli.main`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tui.cli

CONFIG = """\
providers:
  p1: {base_url: "http://127.0.0.1:9/v1", api_key_env: MY_KEY}
  p2: {base_url: "http://127.0.0.1:9/v1", api_key_env: OTHER_KEY}
default_provider: p1
groups:
  main: [openai/gpt-4-turbo, {id: vendor/solo, provider: p2}]
"""


@pytest.fixture
def cli(tmp_path: Path, monkeypatch, capsys):
    config = tmp_path / "groups.yaml"
    config.write_text(CONFIG)
    monkeypatch.setenv("MY_KEY", "k-1234567890")
    monkeypatch.delenv("OTHER_KEY", raising=False)

    def run(*argv: str, state: Path | str = tmp_path / "state.json") -> tuple[int, str, str]:
        code = tui.cli.main(["--config", str(config), "--state", str(state), *argv])
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


UNWRITABLE = "/proc/modelfallback-test/state.json"


@pytest.mark.parametrize("argv", [["status"], ["status", "--json"], ["chat", "hi"], ["check"],
                                  ["disable", "gpt-4-turbo"], ["enable", "gpt-4-turbo"]])
def test_an_unwritable_state_is_exit_2_at_start_for_every_command(cli, argv) -> None:
    code, out, err = cli(*argv, state=UNWRITABLE)
    assert code == 2 and out == ""  # chat printed no answer: it stopped before sending
    assert err.splitlines() == [f"modelfallback: state file {UNWRITABLE} cannot be written: No such file or "
                                "directory (choose another with --state or $MODELFALLBACK_STATE)"]


def test_an_unwritable_state_under_chat_json_is_one_json_object_and_exit_2(cli) -> None:
    code, out, err = cli("chat", "--json", "hi", state=UNWRITABLE)
    doc = json.loads(out)
    assert code == 2 and doc["ok"] is False and doc["content"] is None and doc["error"]["kind"] == "state"
    assert "cannot be written" in doc["error"]["message"] and len(err.splitlines()) == 1


@pytest.mark.parametrize("argv, kind, message", [
    (["chat", "--json", "-g", "nope", "hi"], "usage", "unknown group 'nope' (groups: main)"),
    (["chat", "--json", "   "], "usage", "the prompt is empty"),
])
def test_chat_json_usage_errors_print_one_json_object_and_exit_2(cli, argv, kind, message) -> None:
    code, out, err = cli(*argv)
    doc = json.loads(out)
    assert code == 2 and doc["ok"] is False and doc["error"] == {"kind": kind, "message": message}
    assert err == f"modelfallback: {message}\n"


@pytest.mark.parametrize("value, said", [
    ("0", "a disable must last a positive time, got '0'"),
    ("1ms", "a disable lasts at least 1s, got '1ms'"),
    ("-5m", "a disable must last a positive time, got '-5m'"),
    ("99999999999999999h", "a disable lasts at most 365d (for longer, disable it until enabled)"),
])
@pytest.mark.parametrize("form", ["separate", "joined"])
def test_disable_for_follows_the_one_duration_rule(cli, tmp_path: Path, value, said, form) -> None:
    argv = ["--for", value] if form == "separate" else [f"--for={value}"]
    code, out, err = cli("disable", "gpt-4-turbo", *argv)
    assert code == 2 and out == "" and err == f"modelfallback: --for: {said}\n"
    assert not (tmp_path / "state.json").exists() or "openai/gpt-4-turbo" not in (tmp_path / "state.json").read_text()


def test_enable_of_a_model_that_is_not_disabled_says_so_and_exits_0(cli) -> None:
    assert cli("enable", "gpt-4-turbo")[:2] == (0, "openai/gpt-4-turbo is not disabled\n")
    assert cli("disable", "gpt-4-turbo", "--for", "5m")[:2] == (0, "disabled openai/gpt-4-turbo for 5m\n")
    assert cli("enable", "gpt-4-turbo")[:2] == (0, "enabled openai/gpt-4-turbo\n")


def test_a_missing_key_is_named_with_its_fix_everywhere(cli) -> None:
    fix = "$OTHER_KEY is not set: export OTHER_KEY=…"
    _, out, _ = cli("status")
    assert "no key    vendor/solo" in out and fix in out
    doc = json.loads(cli("status", "--json")[1])
    [row] = [r for r in doc["models"] if r["model"] == "vendor/solo"]
    assert row["status"] == "no key" and row["key_env"] == "OTHER_KEY" and row["error"] == fix
    _, out, err = cli("check", "--json")
    [row] = [r for r in json.loads(out) if r["model"] == "vendor/solo"]
    assert row["status"] == "no key" and row["error"] == f"not probed: {fix}"
    _, out, _ = cli("enable", "solo")
    assert out == f"vendor/solo is not disabled; it has no key: {fix}\n"


def test_check_summary_counts_every_model(cli) -> None:
    code, out, err = cli("check")
    assert "checked 2 models: 0 ok, 1 failed, 1 not probed" in err.splitlines()


def test_a_reason_with_escape_codes_is_stored_and_shown_as_one_printable_line(cli, tmp_path: Path) -> None:
    assert cli("disable", "gpt-4-turbo", "--reason", "\x1b[31mRED\x1b[0m\nsecond line")[0] == 0
    stored = json.loads((tmp_path / "state.json").read_text())["models"]["openai/gpt-4-turbo"]["disabled"]["reason"]
    assert stored == "\\x1b[31mRED\\x1b[0m second line"
    _, out, _ = cli("status")
    assert "\x1b" not in out and "(manual: \\x1b[31mRED\\x1b[0m second line)" in out


def test_a_bad_state_file_is_reported_once_on_stderr(cli, tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("null")
    code, _, err = cli("status")
    assert code == 0 and len(err.splitlines()) == 1
    assert "not a state document (the file holds null, expected an object)" in err
    (tmp_path / "state.json").write_text(json.dumps({"version": 1, "models": {
        "openai/gpt-4-turbo": {"disabled": {"source": "manual", "until": "NaN", "kind": 5}}}}))
    code, out, err = cli("status")
    assert code == 0 and "openai/gpt-4-turbo" in out and len(err.splitlines()) == 1
    assert "ignored models['openai/gpt-4-turbo']" in err


def test_short_names_are_accepted_by_disable_and_enable(cli) -> None:
    assert cli("disable", "gpt-4-turbo", "--until-enabled")[:2] == (0, "disabled openai/gpt-4-turbo until enabled\n")
    assert cli("enable", "gpt-4-turbo")[:2] == (0, "enabled openai/gpt-4-turbo\n")
