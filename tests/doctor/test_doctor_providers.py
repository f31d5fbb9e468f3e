"""Providers and models, checked against the real fault server on 127.0.0.1: the key (never
shown), OpenRouter's key endpoint and credit, a refused key, a hung endpoint, a provider's clock
(its Date header), a model id the provider does not list, a probe that fails."""

from __future__ import annotations

import time
from pathlib import Path

from doctor_kit import KEY, config_text, doctor, find, no_key_anywhere, provider_yaml
from faultserver import FaultServer, Hang, Stream, error_json, openrouter_key, openrouter_models

from tui.engine.clock import FakeClock


def openrouter_like(server: FaultServer, models: list[str], groups: str = "") -> str:
    server.script("/v1/models", openrouter_models(dict.fromkeys(models, 32000)))
    for model in models:
        server.script(model, Stream(tokens=["ok"]))
    return config_text(provider_yaml("p", server.base_url, catalog="openrouter"),
                       groups or f"  g: [{', '.join(models)}]\n")


async def test_openrouter_key_endpoint_credit_listing_probe_and_the_key_is_never_shown(
        fault_server: FaultServer, write_config) -> None:
    config = write_config(openrouter_like(fault_server, ["vendor/alpha", "vendor/beta"]))
    fault_server.script("/v1/key", openrouter_key(limit=10.0, usage=2.5))
    report = await doctor(config)
    key = find(report, "provider", "p", "key")
    assert key.status == "ok" and "$DOC_KEY is set (fingerprint " in key.detail
    works = find(report, "provider", "p", "key works")
    assert works.status == "ok" and "$7.50 of $10.00 left" in works.detail
    assert [r.headers.get("authorization") for r in fault_server.requests_for("/v1/key")] == [f"Bearer {KEY}"]
    assert find(report, "provider", "p", "endpoint").status == "ok"
    assert find(report, "model", "vendor/alpha", "listed").status == "ok"
    assert find(report, "model", "vendor/alpha", "context").detail == "32,000 tokens (from the listing)"
    assert find(report, "model", "vendor/alpha", "price").detail.startswith("$1 / $2 per million")
    probe = find(report, "model", "vendor/beta", "probe")
    assert probe.status == "ok" and probe.detail.startswith("one token in")
    sent = [r.json for r in fault_server.requests if r.model == "vendor/beta"]
    assert len(sent) == 1 and sent[0]["max_tokens"] == 1
    assert find(report, "group", "g", "answers now").status == "ok"
    assert report.ok
    no_key_anywhere(report)


async def test_little_credit_left_is_a_warning_and_none_left_a_failure(fault_server: FaultServer, write_config) -> None:
    config = write_config(openrouter_like(fault_server, ["vendor/alpha"]))
    fault_server.script("/v1/key", openrouter_key(limit=20.0, usage=19.5))
    works = find(await doctor(config), "provider", "p", "key works")
    assert works.status == "warn" and "little credit left: $0.50 of $20.00" in works.detail
    assert "openrouter.ai/settings/credits" in works.fix
    fault_server.script("/v1/key", openrouter_key(limit=20.0, usage=20.0))
    report = await doctor(config)
    assert find(report, "provider", "p", "key works").status == "fail" and not report.ok


async def test_a_refused_key_fails_with_a_fix_that_names_the_variable(fault_server: FaultServer, write_config) -> None:
    config = write_config(openrouter_like(fault_server, ["vendor/alpha"]))
    fault_server.script("/v1/key", error_json(401, f"Invalid key {KEY}"))
    fault_server.script("vendor/alpha", error_json(401, "User not found."))
    report = await doctor(config)
    works = find(report, "provider", "p", "key works")
    assert works.status == "fail" and works.detail.startswith("refused: 401 auth")
    assert "export DOC_KEY=" in works.fix
    probe = find(report, "model", "vendor/alpha", "probe")
    assert probe.status == "fail" and "export DOC_KEY=" in probe.fix
    assert find(report, "group", "g", "answers now").status == "fail"
    assert not report.ok
    no_key_anywhere(report)  # the error body echoed the key: masked


async def test_a_missing_key_variable_is_named_and_nothing_is_sent(fault_server: FaultServer, write_config) -> None:
    config = write_config(openrouter_like(fault_server, ["vendor/alpha"]))
    report = await doctor(config, env={})
    key = find(report, "provider", "p", "key")
    assert key.status == "fail" and key.detail == "$DOC_KEY is not set in this environment"
    assert key.fix.startswith("export DOC_KEY=<your key>")
    assert find(report, "model", "vendor/alpha", "probe").status == "skip"
    assert find(report, "model", "vendor/alpha", "listed").detail == "not checked: p has no key (above)"
    assert fault_server.requests == []


async def test_without_openrouter_the_model_list_proves_the_key(fault_server: FaultServer, write_config) -> None:
    fault_server.script("/v1/models", error_json(401, "Incorrect API key provided"))
    config = write_config(config_text(provider_yaml("p", fault_server.base_url), "  g: [m1]\n"))
    fault_server.script("m1", Stream(tokens=["ok"]))
    report = await doctor(config)
    assert find(report, "provider", "p", "key works").status == "fail"
    assert [r.path for r in fault_server.requests if r.method == "GET"] == ["/v1/models"]  # one call, no /key
    listed = find(report, "model", "m1", "listed")
    assert (listed.status, listed.detail) == ("skip", "not checked: p's model list could not be read (401 auth)")


async def test_a_model_the_provider_does_not_list_gets_a_did_you_mean(fault_server: FaultServer, write_config) -> None:
    config = write_config(openrouter_like(fault_server, ["anthropic/claude-3.5-sonnet"],
                                          "  g: [anthropic/claude-3.5-sonet]\n"))
    fault_server.script("/v1/key", openrouter_key(limit=None, usage=1.0))
    fault_server.script("anthropic/claude-3.5-sonet", error_json(404, "No endpoints found"))
    report = await doctor(config)
    listed = find(report, "model", "anthropic/claude-3.5-sonet", "listed")
    assert listed.status == "fail"
    assert listed.detail == ("'anthropic/claude-3.5-sonet' is not listed by p; did you mean "
                             "'anthropic/claude-3.5-sonnet'?")
    assert find(report, "provider", "p", "key works").detail == "accepted; no credit limit on this key; $1.00 used"
    # what follows from the id being wrong is not a warning of its own: the ✗ above says it once
    assert [find(report, "model", "anthropic/claude-3.5-sonet", title).status for title in ("context", "price")] == [
        "skip", "skip"]
    # doctor reports; it does not take the model out of service (a team's shared state stays as it was)
    assert find(report, "model", "anthropic/claude-3.5-sonet", "state").detail == "in service"


async def test_a_hung_endpoint_fails_within_the_timeout_and_the_report_is_whole(
        fault_server: FaultServer, write_config) -> None:
    fault_server.script("/v1/models", Hang())
    fault_server.script("m1", Hang())
    config = write_config(config_text(provider_yaml("p", fault_server.base_url), "  g: [m1]\n", timeout="300ms"))
    report = await doctor(config)
    endpoint = find(report, "provider", "p", "endpoint")
    assert endpoint.status == "fail" and "timeout" in endpoint.detail and "health.timeout (now 0.3s)" in endpoint.fix
    assert find(report, "model", "m1", "probe").status == "fail"
    assert {c.area for c in report.checks} >= {"config", "state", "provider", "model", "group", "terminal"}


async def test_a_provider_clock_off_by_seconds_warns_and_off_by_a_minute_fails(
        fault_server: FaultServer, write_config) -> None:
    fault_server.script("/v1/models", openrouter_models({"m1": 8000}))
    fault_server.script("m1", Stream(tokens=["ok"]))
    config = write_config(config_text(provider_yaml("p", fault_server.base_url), "  g: [m1]\n"))
    assert find(await doctor(config), "provider", "p", "clock").status == "skip"  # no Date header sent
    fault_server.date_offset = 0.0
    in_step = find(await doctor(config), "provider", "p", "clock")
    assert in_step.status == "ok", in_step
    fault_server.date_offset = -6.0
    behind = find(await doctor(config), "provider", "p", "clock")
    assert behind.status == "warn" and " behind this machine" in behind.detail and "time sync" in behind.fix
    # this machine's clock 45 s fast (injected), the provider right: the same fault seen from here
    fault_server.date_offset = 0.0
    fast = find(await doctor(config, clock=FakeClock(wall=time.time() + 45)), "provider", "p", "clock")
    assert fast.status == "fail" and fast.detail.startswith(("44.", "45.", "46."))


async def test_the_state_now_says_who_disabled_a_model_why_and_until_when(
        fault_server: FaultServer, write_config, tmp_path: Path) -> None:
    from tui.engine.api import ModelFallback

    fault_server.script("/v1/models", openrouter_models({"m1": 8000, "m2": 8000}))
    config = write_config(config_text(provider_yaml("p", fault_server.base_url), "  g: [m1, m2]\n"))
    state = tmp_path / "state.json"
    other = ModelFallback.from_files(config, state, env={"DOC_KEY": KEY})  # another terminal
    other.disable("m1", None, reason="flaky today")
    other.store.close()
    report = await doctor(config, state, offline=True)
    now = find(report, "model", "m1", "state")
    assert now.status == "warn" and now.detail == "disabled by hand: flaky today; until enabled"
    assert now.fix == "`modelfallback enable m1` brings it back now"
    assert find(report, "group", "g", "answers now").detail == "1 of 2 models in service; m2 answers first"
    assert fault_server.requests == []  # --offline: no provider was contacted


async def test_a_certificate_the_machine_does_not_trust_is_a_tls_failure(write_config, tmp_path: Path) -> None:
    import ssl
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    async with FaultServer(tls=context) as server:  # self-signed: no CA the client knows signed it
        config = write_config(config_text(provider_yaml("p", server.base_url), "  g: [m1]\n"))
        report = await doctor(config)
    tls = find(report, "provider", "p", "TLS")
    assert tls.status == "fail" and "CERTIFICATE_VERIFY_FAILED" in tls.detail
    assert "SSL_CERT_FILE" in tls.fix
    assert find(report, "provider", "p", "endpoint").status == "fail"
