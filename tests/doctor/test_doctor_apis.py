"""Providers of every API on one fault server: the model list read by each adapter proves the key
(its own header, never a Bearer for Anthropic or Gemini), a key refused in each API's error
shape, prices from groups.yaml when a listing has none, and a group's spread over providers and keys."""

from __future__ import annotations

from doctor_kit import KEY, doctor, find, no_key_anywhere
from faultbehaviours import Error, Listing, Stream
from faultserver import FaultServer


def cross_api(server: FaultServer, groups: str, *, claude_key: str = "DOC_KEY") -> str:
    return f"""
providers:
  oa: {{base_url: '{server.base_url}', api_key_env: DOC_KEY}}
  claude: {{base_url: '{server.url}', api: anthropic, api_key_env: {claude_key}}}
  google: {{base_url: '{server.url}', api: gemini, api_key_env: DOC_KEY}}
default_provider: oa
groups:
{groups}health: {{timeout: 1s}}
"""


async def test_each_adapter_lists_its_models_with_its_own_key_header(fault_server: FaultServer, write_config) -> None:
    fault_server.script("/v1/models", Listing({"gpt-x": 128_000, "claude-x": 200_000}))
    fault_server.script("/v1beta/models", Listing({"gemini-x": 1_000_000}))
    for model in ("gpt-x", "claude-x", "gemini-x"):
        fault_server.script(model, Stream(tokens=["ok"]))
    config = write_config(cross_api(fault_server, "  g: [gpt-x, {id: claude-x, provider: claude, price: {input: 3, "
                                                   "output: 15}}, {id: gemini-x, provider: google}]\n"))
    report = await doctor(config)
    for provider in ("oa", "claude", "google"):
        assert find(report, "provider", provider, "key works").status == "ok", provider
    assert find(report, "model", "claude-x", "context").detail == "200,000 tokens (from the listing)"
    assert find(report, "model", "gemini-x", "listed").status == "ok"
    price = find(report, "model", "claude-x", "price")
    assert price.detail == "$3 / $15 per million input / output tokens (from groups.yaml)"
    lists = [r for r in fault_server.requests if r.method == "GET"]
    anthropic = [r for r in lists if "x-api-key" in r.headers]
    gemini = [r for r in lists if "x-goog-api-key" in r.headers]
    assert anthropic and gemini and all("authorization" not in r.headers for r in anthropic + gemini)
    spread = find(report, "group", "g", "spread")
    assert spread.status == "warn" and "share one key" in spread.detail  # three providers, one $DOC_KEY
    assert report.ok
    no_key_anywhere(report)


async def test_a_key_refused_in_the_anthropic_shape(fault_server: FaultServer, write_config, monkeypatch) -> None:
    fault_server.script("/v1/models", Error(401, "invalid x-api-key", error_type="authentication_error"))
    fault_server.script("claude-x", Error(401, "invalid x-api-key", error_type="authentication_error"))
    config = write_config(cross_api(fault_server, "  g: [{id: claude-x, provider: claude}]\n"))
    report = await doctor(config)
    works = find(report, "provider", "claude", "key works")
    assert works.status == "fail" and "401 auth" in works.detail and "export DOC_KEY=" in works.fix
    assert find(report, "model", "claude-x", "listed").status == "skip"


async def test_two_providers_with_their_own_keys_spread_a_group(fault_server: FaultServer, write_config) -> None:
    fault_server.script("/v1/models", Listing({"gpt-x": 8000, "claude-x": 8000}))
    for model in ("gpt-x", "claude-x"):
        fault_server.script(model, Stream(tokens=["ok"]))
    config = write_config(cross_api(fault_server, "  g: [gpt-x, {id: claude-x, provider: claude}]\n",
                                    claude_key="OTHER_KEY"))
    report = await doctor(config, env={"DOC_KEY": KEY, "OTHER_KEY": KEY[::-1]})
    assert find(report, "group", "g", "spread").detail == "2 models over 2 providers"
    same = await doctor(config, env={"DOC_KEY": KEY, "OTHER_KEY": KEY})  # two variables, one key
    assert "share one key" in find(same, "group", "g", "spread").detail
