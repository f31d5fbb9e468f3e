"""groups.yaml: structure and keys, durations and numbers, robustness, and the config/state lookup order.

Error tests assert the whole one-line message, `file:line: key.path: what was expected`,
because that line is what the user sees on stderr before exit 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from config_texts import ONE_PROVIDER, TWO_PROVIDERS, error_of, with_groups
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.engine.config import ConfigError
from tui.engine.config.loader import load_config, load_config_text

# ------------------------------------------------------------------ structure and keys


def test_unknown_top_level_key_did_you_mean() -> None:
    assert error_of(with_groups("  c: [m]\n", tail="polcy: {}\n")) == (
        "g.yaml:7: polcy: unknown key 'polcy'; did you mean 'policy'?")


def test_unknown_key_without_a_close_match_lists_the_keys() -> None:
    assert error_of(with_groups("  c: [m]\n", tail="zzz: 1\n")) == (
        "g.yaml:7: zzz: unknown key 'zzz'; expected one of: "
        "providers, default_provider, groups, policy, health, serve, state, history")


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


# ------------------------------------------------------------------ health.recheck, catalog, state


def test_recheck_defaults_to_15s_and_is_validated_like_every_duration() -> None:
    assert load_config_text(with_groups("  c: [m]\n")).health.recheck == 15.0
    assert load_config_text(with_groups("  c: [m]\n", tail="health: {recheck: 5s}\n")).health.recheck == 5.0
    assert error_of(with_groups("  c: [m]\n", tail="health: {recheck: 0}\n")) == (
        "g.yaml:7: health.recheck: expected a duration greater than zero, got 0ms")
    assert error_of(with_groups("  c: [m]\n", tail="health: {recheck: soon}\n")) == (
        "g.yaml:7: health.recheck: expected a duration like 30s, 5m or 1h, got 'soon'")


def test_the_catalog_defaults_to_openrouter_for_its_base_url_only() -> None:
    config = load_config_text(TWO_PROVIDERS + "default_provider: openrouter\ngroups:\n  c: [m]\n")
    assert config.providers["openrouter"].catalog == "openrouter"
    assert config.providers["ollama"].catalog == "none"
    text = ("providers:\n  mine: {base_url: http://127.0.0.1:8000/v1, catalog: openrouter}\n"
            "  or: {base_url: https://openrouter.ai/api/v1, catalog: none}\n"
            "default_provider: mine\ngroups:\n  c: [m]\n")
    config = load_config_text(text)
    assert (config.providers["mine"].catalog, config.providers["or"].catalog) == ("openrouter", "none")
    assert error_of(text.replace("catalog: none", "catalog: registry")) == (
        "g.yaml:3: providers.or.catalog: unknown catalog 'registry'; expected one of: openrouter, listing, none")


def test_state_key_is_a_path_relative_to_the_file_or_a_redis_url(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "groups.yaml"
    path.parent.mkdir()
    path.write_text(with_groups("  c: [m]\n", tail="state: shared/state.json\n"))
    assert load_config(path).state == str(tmp_path / "cfg" / "shared" / "state.json")
    path.write_text(with_groups("  c: [m]\n", tail="state: redis://:s3cret-pw@10.0.0.5:6380/2?prefix=team\n"))
    assert load_config(path).state == "redis://:s3cret-pw@10.0.0.5:6380/2?prefix=team"
    assert load_config_text(with_groups("  c: [m]\n")).state is None


def test_a_bad_redis_url_is_an_error_that_never_shows_the_password() -> None:
    for url, reason in [("redis://:s3cret-pw@host:notaport/0", "the port must be a number"),
                        ("redis://:s3cret-pw@host:6379/zero", "with a database number"),
                        ("redis://:s3cret-pw@host:6379/0?db=1", "unknown option 'db'"),
                        ("http://:s3cret-pw@host/x", "expected a state file path or a redis://host:port/db URL")]:
        message = error_of(with_groups("  c: [m]\n", tail=f"state: {url}\n"))
        assert message.startswith("g.yaml:7: state: ") and reason in message and "s3cret" not in message


def test_hedge_is_a_duration_auto_or_off_globally_or_per_model() -> None:
    config = load_config_text(with_groups("  c: [a, {id: b, hedge: auto}, {id: c, hedge: off}]\n",
                                          tail="policy: {hedge: 1.5s}\n"))
    assert {m: config.models[m].policy.hedge for m in config.models} == {"a": 1.5, "b": "auto", "c": None}
    assert load_config_text(with_groups("  c: [a]\n")).models["a"].policy.hedge is None  # off by default
    assert error_of(with_groups("  c: [a]\n", tail="policy: {hedge: sometimes}\n")) == (
        "g.yaml:7: policy.hedge: expected a duration like 2s, auto, or off")
    assert error_of(with_groups("  c: [a]\n", tail="policy: {hedge: 0}\n")) == (
        "g.yaml:7: policy.hedge: expected a duration like 2s, auto, or off")


def test_the_api_follows_the_base_url_host_unless_given() -> None:
    text = ("providers:\n  claude: {base_url: https://api.anthropic.com, api_key_env: ANTHROPIC_API_KEY}\n"
            "  google: {base_url: https://generativelanguage.googleapis.com/v1beta}\n"
            "  proxy: {base_url: https://llm.example.com/v1}\n"
            "  mine: {base_url: https://llm.example.com, api: anthropic}\n"
            "default_provider: claude\ngroups:\n  c: [m]\n")
    config = load_config_text(text)
    apis = {name: (p.api, p.catalog) for name, p in config.providers.items()}
    assert apis == {"claude": ("anthropic", "listing"), "google": ("gemini", "listing"), "proxy": ("openai", "none"),
                    "mine": ("anthropic", "none")}
    assert error_of(text.replace("api: anthropic", "api: antropic")) == (
        "g.yaml:5: providers.mine.api: unknown api 'antropic'; did you mean 'anthropic'?")


def test_a_model_takes_max_tokens_and_a_price() -> None:
    text = ("providers:\n  claude: {base_url: https://api.anthropic.com}\n"
            "groups:\n  c:\n    - {id: claude-x, max_tokens: 2048, price: {input: 3.00, output: 15}}\n    - plain\n")
    config = load_config_text(text)
    assert (config.models["claude-x"].max_tokens, config.models["claude-x"].price) == (2048, (3.0, 15.0))
    assert (config.models["plain"].max_tokens, config.models["plain"].price) == (None, None)
    assert error_of(text.replace("max_tokens: 2048", "max_tokens: lots")) == (
        "g.yaml:5: groups.c[0].max_tokens: expected a whole number of tokens like 4096, got a string")
    assert error_of(text.replace("output: 15", "outptu: 15")).startswith(
        "g.yaml:5: groups.c[0].price.outptu: unknown key 'outptu'; did you mean 'output'?")
