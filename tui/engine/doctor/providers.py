"""Each provider: its key variable is set, the key works, the endpoint answers within
`health.timeout`, TLS is fine, and its clock agrees with ours.

One call does most of it (`provider_api.key_call`): OpenRouter's key endpoint, which also tells
the credit left, or else the model list. The key itself is never shown; its fingerprint (the
first 12 hex digits of its sha256, what the state stores to notice a changed key) is.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from tui.engine.doctor import provider_api as api
from tui.engine.doctor.clock_skew import clock_check
from tui.engine.doctor.context import Context
from tui.engine.doctor.fixes import fix_for, is_tls, key_fix
from tui.engine.doctor.result import Check, fail, ok, skip, warn
from tui.engine.failures import FailureKind

LOW_CREDIT_SHARE = 0.1  # warn when less than this share of the key's limit is left
LOW_CREDIT_USD = 1.0  # ... or less than this many dollars
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


async def provider_checks(ctx: Context, name: str) -> list[Check]:
    """Every check of one provider."""
    client = ctx.engine.clients[name]
    provider = client.provider
    checks = [_key_variable(ctx, name)]
    if ctx.offline:
        return [*checks, skip("provider", name, "endpoint", "not contacted (--offline)")]
    if not client.has_key():
        return [*checks, skip("provider", name, "endpoint", "not contacted without a key")]
    reply = await ctx.key_reply(name)
    works = _key_works(ctx, name, reply)
    if ctx.engine.demo:  # the simulator answers the key call (credit included), but has no TLS or clock of its own
        return [*checks, replace(works, detail=f"simulated provider: {works.detail}"), _endpoint(ctx, name, reply)]
    checks.append(works)
    checks.append(_endpoint(ctx, name, reply))
    tls = _tls(name, provider.base_url, reply)
    if tls is not None:
        checks.append(tls)
    checks.append(clock_check("provider", name, "clock", reply.offset_s, reply.offset_error_s, "Date header"))
    return checks


def _key_variable(ctx: Context, name: str) -> Check:
    client = ctx.engine.clients[name]
    variable = client.provider.api_key_env
    if variable is None:
        return ok("provider", name, "key", "no key needed (no api_key_env)")
    if ctx.engine.demo:
        return ok("provider", name, "key", f"${variable}: not needed in the demo (simulated provider)")
    if not client.has_key():
        return fail("provider", name, "key", f"${variable} is not set in this environment", key_fix(client.provider))
    return ok("provider", name, "key", f"${variable} is set (fingerprint {client.key_fingerprint()})")


def _key_works(ctx: Context, name: str, reply: api.Reply) -> Check:
    provider = ctx.engine.clients[name].provider
    timeout = ctx.timeout
    if reply.failure is None:
        if api.key_call(ctx.engine.clients[name]) == "/key":
            return _credit(name, api.parse_key(reply.data))
        return ok("provider", name, "key works", "accepted (the model list answered)")
    failure = reply.failure
    if failure.kind == FailureKind.AUTH:
        return fail("provider", name, "key works", f"refused: {failure.summary()}", fix_for(failure, provider, timeout))
    if failure.kind == FailureKind.QUOTA:
        return fail("provider", name, "key works", f"out of credit: {failure.summary()}",
                    fix_for(failure, provider, timeout))
    if failure.kind == FailureKind.NOT_FOUND and provider.api_key_env:
        return warn("provider", name, "key works", f"not verified: {api.key_call(ctx.engine.clients[name])} "
                    f"answered {failure.summary()}", "the model probes below show whether the key works")
    if failure.kind in (FailureKind.TIMEOUT, FailureKind.CONNECTION, FailureKind.PROTOCOL):
        return skip("provider", name, "key works", "not verified: the endpoint did not answer (below)")
    return warn("provider", name, "key works", f"not verified: {failure.summary()}",
                fix_for(failure, provider, timeout))


def _credit(name: str, credit: api.KeyCredit | None) -> Check:
    if credit is None:
        return warn("provider", name, "key works", "accepted, but the key endpoint's answer has no data",
                    "nothing to do unless requests fail; the model probes below show the key works")
    used = "" if credit.usage is None else f"; ${credit.usage:,.2f} used"
    if credit.limit is None or credit.remaining is None:
        return ok("provider", name, "key works", f"accepted; no credit limit on this key{used}")
    left = f"${credit.remaining:,.2f} of ${credit.limit:,.2f} left{used}"
    if credit.remaining <= 0:
        return fail("provider", name, "key works", f"accepted but out of credit: {left}",
                    "raise the key's limit or add credits at https://openrouter.ai/settings/credits")
    if credit.remaining < max(LOW_CREDIT_USD, LOW_CREDIT_SHARE * credit.limit):
        return warn("provider", name, "key works", f"accepted; little credit left: {left}",
                    "raise the key's limit or add credits at https://openrouter.ai/settings/credits")
    return ok("provider", name, "key works", f"accepted; {left}")


def _endpoint(ctx: Context, name: str, reply: api.Reply) -> Check:
    provider = ctx.engine.clients[name].provider
    failure = reply.failure
    if failure is None or failure.kind not in (FailureKind.TIMEOUT, FailureKind.CONNECTION, FailureKind.PROTOCOL):
        answered = "answered" if failure is None else f"answered ({failure.short()})"
        return ok("provider", name, "endpoint", f"{provider.base_url} {answered} in {reply.latency_ms:.0f} ms")
    return fail("provider", name, "endpoint", f"{provider.base_url}: {failure.summary()}",
                fix_for(failure, provider, ctx.timeout))


def _tls(name: str, base_url: str, reply: api.Reply) -> Check | None:
    parts = urlsplit(base_url)
    if parts.scheme.lower() == "http":
        if (parts.hostname or "") in LOCAL_HOSTS:
            return None  # a local server: nothing leaves the machine
        return warn("provider", name, "TLS", f"{base_url} is plain http: the key and prompts travel unencrypted",
                    "use the provider's https:// URL as base_url")
    if reply.failure is not None and is_tls(reply.failure):
        return fail("provider", name, "TLS", reply.failure.summary(),
                    "the certificate was not accepted: check the machine's clock, a proxy that intercepts TLS, "
                    "or SSL_CERT_FILE")
    if reply.failure is not None and reply.failure.kind in (FailureKind.TIMEOUT, FailureKind.CONNECTION):
        return skip("provider", name, "TLS", "not checked: no connection")
    return ok("provider", name, "TLS", "certificate verified")
