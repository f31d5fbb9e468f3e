"""groups.yaml loading (DESIGN §3) and config/state file lookup (DESIGN §2).

Error tests assert the whole one-line message, `file:line: key.path: what was expected`,
because that line is what the user sees on stderr before exit 2.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.engine import config_loader
from tui.engine.config import Config, ConfigError, HealthSettings, Policy
from tui.engine.config_loader import find_config_path, find_state_path, load_config, load_config_text
from tui.engine.resources import default_config_path

REPO_GROUPS = Path(__file__).resolve().parents[2] / "groups.yaml"

ONE_PROVIDER = """\
providers:
  openrouter:
    base_url: https://openrouter.ai/api/v1
    api_key_env: OPENROUTER_API_KEY
"""

TWO_PROVIDERS = """\
providers:
  openrouter: {base_url: https://openrouter.ai/api/v1, api_key_env: OPENROUTER_API_KEY}
  ollama: {base_url: http://localhost:11434/v1}
"""


def error_of(text: str) -> str:
    """The rendered ConfigError for `text`, loaded under the name g.yaml."""
    with pytest.raises(ConfigError) as info:
        load_config_text(text, "g.yaml")
    return str(info.value)


def with_groups(groups: str, head: str = ONE_PROVIDER, tail: str = "") -> str:
    return head + "groups:\n" + groups + tail


# ------------------------------------------------------------------ the repository's groups.yaml


def test_repo_groups_yaml_loads_three_groups_with_defaults() -> None:
    config = load_config(REPO_GROUPS)
    assert config.groups == {
        "coding": ("anthropic/claude-3.5-sonnet", "openai/gpt-4-turbo", "deepseek/deepseek-coder"),
        "fast": ("anthropic/claude-3-haiku", "openai/gpt-3.5-turbo", "meta-llama/llama-3.1-8b-instruct"),
        "cheap": ("meta-llama/llama-3.1-8b-instruct", "mistralai/mistral-7b-instruct"),
    }
    assert len(config.models) == 7  # llama appears twice but is one model
    assert config.policy == Policy()
    assert config.health == HealthSettings()
    assert config.default_provider == "openrouter"
    provider = config.providers["openrouter"]
    assert (provider.base_url, provider.api_key_env, provider.headers, provider.probe) == (
        "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", {"X-Title": "modelfallback"}, None)
    assert all(m.provider == "openrouter" and m.policy == Policy() for m in config.models.values())
    assert config.path == REPO_GROUPS


def test_packaged_default_is_loadable() -> None:
    assert load_config(default_config_path()).groups.keys() == {"coding", "fast", "cheap"}


def test_load_config_text_has_no_path_and_minimal_config_works() -> None:
    config = load_config_text(with_groups("  solo: [m1]\n"))
    assert isinstance(config, Config) and config.path is None
    assert config.groups == {"solo": ("m1",)}
    assert config.models["m1"].id == "m1" and config.models["m1"].provider == "openrouter"


def test_policy_and_health_values_are_parsed() -> None:
    config = load_config_text(with_groups("  c: [m]\n", tail=(
        "policy: {connect_timeout: 2s, ttft_timeout: 1m30s, stall_timeout: 250ms, manual_disable: 1h,\n"
        "         retry_after_wait: 0, cooldown: {base: 5s, factor: 3, max: 10m}}\n"
        "health: {interval: 30s, timeout: 2, probe: models}\n")))
    assert config.policy == Policy(connect_timeout=2.0, ttft_timeout=90.0, stall_timeout=0.25,
                                   cooldown_base=5.0, cooldown_factor=3.0, cooldown_max=600.0,
                                   manual_disable=3600.0, retry_after_wait=0.0)
    assert config.health == HealthSettings(interval=30.0, timeout=2.0, probe="models")


def test_empty_optional_sections_mean_defaults() -> None:
    config = load_config_text(with_groups("  c: [m]\n", tail="policy:\nhealth:\n"))
    assert config.policy == Policy() and config.health == HealthSettings()


# ------------------------------------------------------------------ models: overrides and identity


def test_override_merges_onto_global_policy() -> None:
    config = load_config_text(with_groups(
        "  coding:\n"
        "    - plain\n"
        "    - {id: o1, ttft_timeout: 60s, cooldown: {max: 20m}}\n",
        tail="policy: {connect_timeout: 3s, cooldown: {base: 20s}}\n"))
    global_policy = Policy(connect_timeout=3.0, cooldown_base=20.0)
    assert config.policy == global_policy
    assert config.models["plain"].policy == global_policy
    assert config.models["o1"].policy == dataclasses.replace(global_policy, ttft_timeout=60.0,
                                                              cooldown_max=1200.0)


def test_same_model_in_several_groups_is_one_model() -> None:
    config = load_config_text(with_groups(
        "  a: [x/shared, x/only-a]\n"
        "  b: [{id: x/shared, ttft_timeout: 45s}, x/only-b]\n"
        "  c: [x/shared]\n"))
    assert list(config.models) == ["x/shared", "x/only-a", "x/only-b"]
    assert config.groups["a"][0] == config.groups["b"][0] == config.groups["c"][0] == "x/shared"
    assert config.chain("a")[0] is config.chain("b")[0] is config.chain("c")[0]
    # the entry that gives overrides sets them for the one model, whichever group it is in
    assert config.models["x/shared"].policy.ttft_timeout == 45.0


def test_equal_overrides_written_differently_are_accepted() -> None:
    config = load_config_text(with_groups(
        "  a: [{id: o1, ttft_timeout: 60s}]\n"
        "  b: [{id: o1, ttft_timeout: 1m}]\n"))
    assert config.models["o1"].policy.ttft_timeout == 60.0


def test_conflicting_overrides_name_the_second_entry() -> None:
    text = with_groups(
        "  a: [{id: o1, ttft_timeout: 60s}]\n"
        "  b:\n"
        "    - m\n"
        "    - {id: o1, ttft_timeout: 30s}\n")
    assert error_of(text) == (
        "g.yaml:9: groups.b[1]: model 'o1' (openrouter) has different policy overrides than at line 6 "
        "(groups.a[0]); it is one model, so give them identically (or only once)")


def test_same_id_under_two_providers_is_named_provider_colon_id() -> None:
    config = load_config_text(with_groups(
        "  local: [llama3, {id: llama3, provider: ollama}, {id: qwen, provider: ollama}]\n",
        head=TWO_PROVIDERS + "default_provider: openrouter\n"))
    assert config.groups["local"] == ("openrouter:llama3", "ollama:llama3", "qwen")
    assert config.models["ollama:llama3"].id == "llama3"
    assert config.models["ollama:llama3"].provider == "ollama"
    assert config.models["openrouter:llama3"].provider == "openrouter"
    assert config.resolve_model("qwen") is config.models["qwen"]


def test_default_provider_is_implied_with_one_provider() -> None:
    assert load_config_text(with_groups("  c: [m]\n")).default_provider == "openrouter"


def test_explicit_provider_in_entry_and_probe_override() -> None:
    head = TWO_PROVIDERS.replace("http://localhost:11434/v1}", "http://localhost:11434/v1/, probe: models}")
    config = load_config_text(with_groups("  c: [{id: m, provider: ollama}]\n",
                                          head=head + "default_provider: openrouter\n"))
    assert config.models["m"].provider == "ollama"
    assert config.providers["ollama"].base_url == "http://localhost:11434/v1"  # trailing slash trimmed
    assert config.providers["ollama"].api_key_env is None
    assert config.probe_kind("ollama") == "models" and config.probe_kind("openrouter") == "completion"


def test_anchors_aliases_and_merge_keys() -> None:
    config = load_config_text(
        "providers:\n"
        "  openrouter: &or {base_url: https://openrouter.ai/api/v1, api_key_env: OPENROUTER_API_KEY}\n"
        "  mirror: {<<: *or, base_url: https://mirror.example/v1}\n"
        "default_provider: openrouter\n"
        "groups:\n"
        "  a: &chain [m1, {id: m2, ttft_timeout: 1m}]\n"
        "  b: *chain\n")
    assert config.providers["mirror"].base_url == "https://mirror.example/v1"
    assert config.providers["mirror"].api_key_env == "OPENROUTER_API_KEY"
    assert config.groups == {"a": ("m1", "m2"), "b": ("m1", "m2")}
    assert config.models["m2"].policy.ttft_timeout == 60.0


# ------------------------------------------------------------------ files and YAML


def test_missing_file_names_the_file_without_a_line(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.line is None and info.value.file == str(path)
    assert str(info.value) == f"{path}: configuration file not found"


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == f"{tmp_path}: is a directory; expected a YAML configuration file"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text("")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (f"{path}: the configuration is empty; "
                               "expected a mapping with 'providers' and 'groups'")


def test_file_with_only_comments_is_empty() -> None:
    assert error_of("# providers:\n\n# groups:\n") == (
        "g.yaml: the configuration is empty; expected a mapping with 'providers' and 'groups'")


def test_errors_from_a_file_carry_its_path_and_line(tmp_path: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text(with_groups("  c: [m]\n", tail="helth: {}\n"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}:7: helth: unknown key 'helth'; did you mean 'health'?"
    assert (info.value.file, info.value.line, info.value.key) == (str(path), 7, "helth")


def test_malformed_yaml_reports_the_problem_line() -> None:
    text = ONE_PROVIDER + "groups:\n  coding: [a, b\n  fast: [c]\n"
    assert error_of(text) == (
        "g.yaml:7: invalid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence)")


def test_tab_indentation_is_malformed_yaml() -> None:
    assert error_of("providers:\n\tx: 1\n") == (
        "g.yaml:2: invalid YAML: found character '\\t' that cannot start any token "
        "(while scanning for the next token)")


def test_top_level_list() -> None:
    assert error_of("\n- providers\n- groups\n") == (
        "g.yaml:2: expected a mapping with 'providers' and 'groups' at the top level, got a list")


def test_top_level_scalar() -> None:
    assert error_of("just some words\n") == (
        "g.yaml:1: expected a mapping with 'providers' and 'groups' at the top level, got a string")


def test_binary_garbage_file(tmp_path: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_bytes(b"providers:\n\x89PNG\r\n\x1a\n\x00\xff\xfe")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}:2: not a text file: byte 0x89 is not valid utf-8; expected UTF-8 YAML"


def test_control_character_in_text() -> None:
    assert error_of("providers:\n  x: \x00\n") == (
        "g.yaml:2: invalid YAML: character #x0000 is not allowed in a text file "
        "(special characters are not allowed)")


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + with_groups("  c: [m]\n").encode())
    assert load_config(path).groups == {"c": ("m",)}


def test_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "groups.yaml"
    path.write_bytes(b"#" * (config_loader.MAX_CONFIG_BYTES + 10))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: file is larger than 1024 KB; expected a small YAML configuration file"


def test_two_documents() -> None:
    assert error_of(with_groups("  c: [m]\n") + "---\nproviders: {}\n") == (
        "g.yaml:7: invalid YAML: but found another document (expected a single document in the stream)")


def test_duplicate_key() -> None:
    text = ONE_PROVIDER + "groups:\n  c: [m]\n  d: [n]\n  c: [o]\n"
    assert error_of(text) == "g.yaml:8: groups.c: duplicate key 'c' (first at line 6); a key may appear once"


def test_recursive_alias_is_an_error_not_a_hang() -> None:
    assert error_of("providers: &r {openrouter: *r}\ngroups: {c: [m]}\n") == (
        "g.yaml:1: providers.openrouter.openrouter: unknown key 'openrouter'; "
        "expected one of: base_url, api_key_env, headers, probe")


def test_unsupported_tags() -> None:
    assert error_of("providers: !!python/object:os.system {}\ngroups: {c: [m]}\n") == (
        "g.yaml:1: providers: unsupported YAML tag 'tag:yaml.org,2002:python/object:os.system'; "
        "expected a plain mapping")
    assert error_of(with_groups("  c: [!weird m]\n")) == (
        "g.yaml:6: groups.c[0]: cannot read this value: could not determine a constructor for the tag '!weird'")


def test_huge_numbers_are_errors() -> None:
    assert error_of(with_groups("  c: [m]\n", tail="policy: {ttft_timeout: " + "9" * 5000 + "}\n")) == (
        "g.yaml:7: policy.ttft_timeout: cannot read this value: the number is too large")
    assert error_of(with_groups("  c: [m]\n", tail="policy: {ttft_timeout: " + "9" * 400 + "}\n")) == (
        "g.yaml:7: policy.ttft_timeout: expected a duration like 30s, 5m or 1h, at most 365d")
    assert error_of(with_groups("  c: [m]\n", tail="policy: {stall_timeout: .inf}\n")) == (
        "g.yaml:7: policy.stall_timeout: expected a finite duration like 30s, 5m or 1h")
    assert error_of(with_groups("  c: [m]\n", tail="policy: {cooldown: {factor: 1.0e+999}}\n")) == (
        "g.yaml:7: policy.cooldown.factor: expected a number from 1 to 100")


def test_non_string_key_such_as_yes() -> None:
    assert error_of(with_groups("  c: [m]\n", tail="yes: 1\n")) == (
        "g.yaml:7: unknown key True; expected a key name (a yes/no/on/off key needs quotes)")


# ------------------------------------------------------------------ structure and keys


def test_unknown_top_level_key_did_you_mean() -> None:
    assert error_of(with_groups("  c: [m]\n", tail="polcy: {}\n")) == (
        "g.yaml:7: polcy: unknown key 'polcy'; did you mean 'policy'?")


def test_unknown_key_without_a_close_match_lists_the_keys() -> None:
    assert error_of(with_groups("  c: [m]\n", tail="zzz: 1\n")) == (
        "g.yaml:7: zzz: unknown key 'zzz'; expected one of: "
        "providers, default_provider, groups, policy, health")


def test_unknown_provider_key_did_you_mean() -> None:
    text = "providers:\n  openrouter:\n    base_ur: https://x\ngroups: {c: [m]}\n"
    assert error_of(text) == (
        "g.yaml:3: providers.openrouter.base_ur: unknown key 'base_ur'; did you mean 'base_url'?")


def test_unknown_model_key_did_you_mean() -> None:
    assert error_of(with_groups("  c:\n    - m\n    - {id: o1, ttft_timout: 60s}\n")) == (
        "g.yaml:8: groups.c[1].ttft_timout: unknown key 'ttft_timout'; did you mean 'ttft_timeout'?")


def test_unknown_cooldown_key_did_you_mean() -> None:
    assert error_of(with_groups("  c: [m]\n", tail="policy:\n  cooldown:\n    bse: 5s\n")) == (
        "g.yaml:9: policy.cooldown.bse: unknown key 'bse'; did you mean 'base'?")


def test_literal_api_key_is_rejected_without_echoing_it() -> None:
    message = error_of("providers:\n  openrouter:\n    base_url: https://x\n    api_key: sk-or-v1-SECRET\n"
                       "groups: {c: [m]}\n")
    assert message == ("g.yaml:4: providers.openrouter.api_key: an API key does not belong in the "
                       "configuration; put the key in an environment variable and name it with api_key_env")
    assert "SECRET" not in message


def test_key_pasted_into_api_key_env_is_rejected_without_echoing_it() -> None:
    message = error_of("providers:\n  openrouter:\n    base_url: https://x\n    api_key_env: sk-or-v1-SECRET\n"
                       "groups: {c: [m]}\n")
    assert message == (
        "g.yaml:4: providers.openrouter.api_key_env: expected the name of an environment variable like "
        "OPENROUTER_API_KEY; if this is the key itself, put the key in an environment variable and "
        "name it with api_key_env")
    assert "SECRET" not in message


def test_authorization_header_is_rejected() -> None:
    message = error_of("providers:\n  p:\n    base_url: https://x\n    headers:\n"
                       "      Authorization: Bearer sk-SECRET\ngroups: {c: [m]}\n")
    assert message == ("g.yaml:5: providers.p.headers.Authorization: credentials do not belong in the "
                       "configuration; put the key in an environment variable and name it with api_key_env")
    assert "SECRET" not in message


def test_api_key_env_not_a_string() -> None:
    assert error_of("providers:\n  p:\n    base_url: https://x\n    api_key_env: [A, B]\ngroups: {c: [m]}\n") == (
        "g.yaml:4: providers.p.api_key_env: expected the name of an environment variable like "
        "OPENROUTER_API_KEY, got a list")


def test_headers_not_a_mapping() -> None:
    assert error_of("providers:\n  p:\n    base_url: https://x\n    headers: [X-Title]\ngroups: {c: [m]}\n") == (
        "g.yaml:4: providers.p.headers: expected a mapping of header names to strings, got a list")


def test_header_value_not_a_string() -> None:
    assert error_of("providers:\n  p:\n    base_url: https://x\n    headers: {X-Version: 2}\ngroups: {c: [m]}\n") == (
        "g.yaml:4: providers.p.headers.X-Version: expected a string (quote it), got a number")


def test_base_url_not_http() -> None:
    assert error_of("providers:\n  p:\n    base_url: ftp://example.com\ngroups: {c: [m]}\n") == (
        "g.yaml:3: providers.p.base_url: expected an http:// or https:// URL like https://openrouter.ai/api/v1")
    assert error_of("providers:\n  p:\n    base_url: localhost:11434\ngroups: {c: [m]}\n").startswith(
        "g.yaml:3: providers.p.base_url: expected an http:// or https:// URL")


def test_missing_providers() -> None:
    assert error_of("# comment\ngroups: {c: [m]}\n") == (
        "g.yaml:2: providers: required key is missing; "
        "expected a mapping of provider names to {base_url, api_key_env}")


def test_missing_groups() -> None:
    assert error_of(ONE_PROVIDER) == (
        "g.yaml:1: groups: required key is missing; expected a mapping of group names to lists of models")


def test_missing_base_url() -> None:
    assert error_of("providers:\n  p:\n    api_key_env: KEY\ngroups: {c: [m]}\n") == (
        "g.yaml:3: providers.p.base_url: required key is missing; expected an http:// or https:// URL")


def test_missing_model_id() -> None:
    assert error_of(with_groups("  c:\n    - {provider: openrouter, ttft_timeout: 60s}\n")) == (
        "g.yaml:7: groups.c[0].id: required key is missing; expected the model id to send, like openai/gpt-4o")


def test_providers_empty() -> None:
    assert error_of("providers: {}\ngroups: {c: [m]}\n") == (
        "g.yaml:1: providers: expected at least one provider "
        "(a mapping of provider names to {base_url, api_key_env})")


def test_providers_wrong_type() -> None:
    assert error_of("providers: [openrouter]\ngroups: {c: [m]}\n") == (
        "g.yaml:1: providers: expected a mapping of provider names to {base_url, api_key_env}, got a list")


def test_groups_mapping_empty() -> None:
    assert error_of(ONE_PROVIDER + "groups: {}\n") == (
        "g.yaml:5: groups: expected at least one group (a mapping of group names to lists of models)")


def test_empty_group() -> None:
    assert error_of(with_groups("  c: [m]\n  fast: []\n")) == (
        "g.yaml:7: groups.fast: empty group; expected at least one model")


def test_group_with_nothing_after_the_colon() -> None:
    assert error_of(with_groups("  c: [m]\n  fast:\n")) == (
        "g.yaml:7: groups.fast: expected a list of models, got an empty value")


def test_group_given_a_string() -> None:
    assert error_of(with_groups("  coding: anthropic/claude-3.5-sonnet\n")) == (
        "g.yaml:6: groups.coding: expected a list of models, got a string")


def test_model_entry_of_the_wrong_type() -> None:
    assert error_of(with_groups("  c:\n    - m\n    - [nested]\n")) == (
        "g.yaml:8: groups.c[1]: expected a model id or a mapping {id, provider, ...}, got a list")
    assert error_of(with_groups("  c: [m, 42]\n")) == (
        "g.yaml:6: groups.c[1]: expected a model id or a mapping {id, provider, ...}, got a number")


def test_unknown_provider_in_model_entry_did_you_mean() -> None:
    assert error_of(with_groups("  c:\n    - {id: m, provider: openroutr}\n")) == (
        "g.yaml:7: groups.c[0].provider: unknown provider 'openroutr'; did you mean 'openrouter'?")


def test_default_provider_unknown() -> None:
    assert error_of(TWO_PROVIDERS + "default_provider: olama\ngroups: {c: [m]}\n") == (
        "g.yaml:4: default_provider: unknown provider 'olama'; did you mean 'ollama'?")


def test_default_provider_required_with_two_providers() -> None:
    assert error_of(TWO_PROVIDERS + "groups: {c: [m]}\n") == (
        "g.yaml:2: default_provider: required when there is more than one provider; "
        "expected one of: openrouter, ollama")


def test_duplicate_model_within_a_group() -> None:
    assert error_of(with_groups("  c:\n    - a/m\n    - b/n\n    - {id: a/m, ttft_timeout: 1m}\n")) == (
        "g.yaml:9: groups.c[2]: duplicate model 'a/m' in this group (already at line 7); list each model once")


def test_probe_not_a_known_kind() -> None:
    assert error_of(with_groups("  c: [m]\n", tail="health: {probe: model}\n")) == (
        "g.yaml:7: health.probe: unknown probe kind 'model'; did you mean 'models'?")
    assert error_of(with_groups("  c: [m]\n", tail="health: {probe: off}\n")) == (
        "g.yaml:7: health.probe: expected probe kind (one of: completion, models, none), got a boolean")


def test_provider_probe_not_a_known_kind() -> None:
    assert error_of("providers:\n  p: {base_url: https://x, probe: ping}\ngroups: {c: [m]}\n") == (
        "g.yaml:2: providers.p.probe: unknown probe kind 'ping'; expected one of: completion, models, none")


# ------------------------------------------------------------------ durations and numbers


def test_bad_duration_in_model_override() -> None:
    assert error_of(with_groups("  coding:\n    - m\n    - {id: o1, ttft_timeout: 60 secs}\n")) == (
        "g.yaml:8: groups.coding[1].ttft_timeout: expected a duration like 30s, 5m or 1h, got '60 secs'")


def test_duration_of_the_wrong_type() -> None:
    assert error_of(with_groups("  c: [m]\n", tail="health:\n  interval: [2m]\n")) == (
        "g.yaml:8: health.interval: expected a duration like 30s, 5m or 1h, got a list")


def test_zero_timeout() -> None:
    assert error_of(with_groups("  c: [m]\n", tail="policy: {connect_timeout: 0s}\n")) == (
        "g.yaml:7: policy.connect_timeout: expected a duration greater than zero, got 0ms")


def test_negative_duration() -> None:
    assert error_of(with_groups("  c: [m]\n", tail="policy:\n  cooldown: {base: -5}\n")) == (
        "g.yaml:8: policy.cooldown.base: a duration cannot be negative")


@pytest.mark.parametrize("text", [".nan", ".inf", "nan", "inf", "1e999"])
def test_non_finite_duration(text: str) -> None:
    assert error_of(with_groups("  c: [m]\n", tail=f"policy:\n  cooldown: {{base: {text}}}\n")) == (
        "g.yaml:8: policy.cooldown.base: expected a finite duration like 30s, 5m or 1h")


def test_retry_after_wait_may_be_zero() -> None:
    config = load_config_text(with_groups("  c: [m]\n", tail="policy: {retry_after_wait: 0s}\n"))
    assert config.policy.retry_after_wait == 0.0


def test_factor_below_one() -> None:
    assert error_of(with_groups("  c: [m]\n", tail="policy: {cooldown: {factor: 0.5}}\n")) == (
        "g.yaml:7: policy.cooldown.factor: expected a number from 1 to 100, got 0.5")


def test_factor_not_a_number() -> None:
    assert error_of(with_groups("  c: [m]\n", tail="policy: {cooldown: {factor: double}}\n")) == (
        "g.yaml:7: policy.cooldown.factor: expected a number of at least 1 (like 2), got a string")


def test_cooldown_max_below_base() -> None:
    assert error_of(with_groups("  c: [m]\n", tail="policy:\n  cooldown:\n    base: 1m\n    max: 30s\n")) == (
        "g.yaml:10: policy.cooldown.max: cooldown max (30s) is shorter than cooldown base (1m); "
        "expected max >= base")


def test_model_override_cooldown_base_above_global_max() -> None:
    assert error_of(with_groups("  c:\n    - {id: m, cooldown: {base: 10m}}\n")) == (
        "g.yaml:7: groups.c[0].cooldown.base: cooldown max (5m) is shorter than cooldown base (10m); "
        "expected max >= base")


# ------------------------------------------------------------------ robustness


_KEYS = st.sampled_from(["providers", "groups", "default_provider", "policy", "health", "base_url",
                         "api_key_env", "headers", "probe", "id", "provider", "cooldown", "base", "factor",
                         "max", "ttft_timeout", "interval", "openrouter", "coding"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
                     st.sampled_from(["5s", "-1m", "0", "https://x", "none", "models", "m", "openrouter"]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)), max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, _VALUES, max_size=5))
def test_random_structures_raise_only_config_errors(data: dict) -> None:
    try:
        load_config_text(yaml.safe_dump(data), "f.yaml")
    except ConfigError as exc:
        assert str(exc).startswith("f.yaml")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_random_text_raises_only_config_errors(text: str) -> None:
    try:
        load_config_text(text, "f.yaml")
    except ConfigError as exc:
        assert str(exc).startswith("f.yaml")


def test_deep_nesting_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        load_config_text("providers: " + "[" * 5000 + "]" * 5000 + "\n")


# ------------------------------------------------------------------ lookup order


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A fake cwd, user config dir, user state dir and packaged default, so nothing real is read."""
    paths = {name: tmp_path / name for name in ("cwd", "config", "state")}
    for path in paths.values():
        path.mkdir()
    paths["packaged"] = tmp_path / "packaged-groups.yaml"
    monkeypatch.chdir(paths["cwd"])
    monkeypatch.setattr(config_loader.platformdirs, "user_config_dir", lambda app: str(tmp_path / "config"))
    monkeypatch.setattr(config_loader.platformdirs, "user_state_dir", lambda app: str(tmp_path / "state"))
    monkeypatch.setattr(config_loader, "default_config_path", lambda: paths["packaged"])
    return paths


def test_config_lookup_order(dirs: dict[str, Path]) -> None:
    env = {"MODELFALLBACK_CONFIG": "/from/env.yaml"}
    (dirs["cwd"] / "groups.yaml").write_text("x")
    (dirs["config"] / "groups.yaml").write_text("x")
    assert find_config_path("/from/flag.yaml", env) == Path("/from/flag.yaml")
    assert find_config_path(None, env) == Path("/from/env.yaml")
    assert find_config_path(None, {}) == dirs["cwd"] / "groups.yaml"
    (dirs["cwd"] / "groups.yaml").unlink()
    assert find_config_path(None, {}) == dirs["config"] / "groups.yaml"
    (dirs["config"] / "groups.yaml").unlink()
    assert find_config_path(None, {}) == dirs["packaged"]


def test_explicit_missing_config_is_returned_and_reported(dirs: dict[str, Path]) -> None:
    (dirs["cwd"] / "groups.yaml").write_text("x")
    missing = dirs["cwd"] / "missing.yaml"
    assert find_config_path(str(missing), {}) == missing
    assert find_config_path(None, {"MODELFALLBACK_CONFIG": str(missing)}) == missing
    with pytest.raises(ConfigError) as info:
        load_config(find_config_path(str(missing), {}))
    assert str(info.value) == f"{missing}: configuration file not found"


def test_empty_env_value_counts_as_unset(dirs: dict[str, Path]) -> None:
    assert find_config_path(None, {"MODELFALLBACK_CONFIG": ""}) == dirs["packaged"]
    assert find_state_path(None, {"MODELFALLBACK_STATE": ""}) == dirs["state"] / "state.json"


def test_config_path_expands_home(dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(dirs["cwd"]))
    assert find_config_path(None, {"MODELFALLBACK_CONFIG": "~/g.yaml"}) == dirs["cwd"] / "g.yaml"


def test_state_lookup_order(dirs: dict[str, Path]) -> None:
    env = {"MODELFALLBACK_STATE": "/from/env.json"}
    assert find_state_path("/from/flag.json", env) == Path("/from/flag.json")
    assert find_state_path(None, env) == Path("/from/env.json")
    assert find_state_path(None, {}) == dirs["state"] / "state.json"
    assert not (dirs["state"] / "state.json").exists()  # looking up never creates the file
