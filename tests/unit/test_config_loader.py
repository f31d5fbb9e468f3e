"""groups.yaml loading (docs/architecture.md §3) and config/state file lookup (docs/architecture.md §2).

Error tests assert the whole one-line message, `file:line: key.path: what was expected`,
because that line is what the user sees on stderr before exit 2.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from config_texts import ONE_PROVIDER, REPO_GROUPS, TWO_PROVIDERS, error_of, with_groups

from tui.engine.config import loader as config_loader
from tui.engine.config import Config, ConfigError, HealthSettings, Policy
from tui.engine.config.loader import (
    load_config,
    load_config_text,
)
from tui.engine.config.paths import default_config_path

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
        "expected one of: base_url, api_key_env, headers, probe, catalog, api")


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
