"""Each model: listed by its provider (with a "did you mean"), context length and price known, a
one-token probe answers (not with --offline), and its state now: disabled by whom, why, until when.

Nothing here changes a model's state: a probe that fails is reported, not recorded. A doctor run
with a wrong key on one laptop must not block a provider for a whole team sharing a Redis state.
"""

from __future__ import annotations

import time

from tui.engine.doctor.context import Context
from tui.engine.doctor.fixes import fix_for
from tui.engine.doctor.result import Check, fail, ok, skip, warn
from tui.engine.durations import format_left
from tui.engine.provider.adapter import Listed
from tui.engine.text import did_you_mean, printable


async def model_checks(ctx: Context, name: str) -> list[Check]:
    engine = ctx.engine
    cfg = engine.config.models[name]
    listed, unread = await _listed(ctx, cfg.provider)
    checks = [_listing_check(ctx, name, listed, unread)]
    entry = listed.get(cfg.id) if listed else None
    unlisted = listed is not None and entry is None  # the ✗ above says it: no warnings that follow from it
    checks.append(_context(ctx, name, entry, listed is not None, unlisted))
    checks.append(_price(name, entry, cfg.price, listed is not None, unlisted))
    checks.append(await _probe(ctx, name))
    checks.append(state_now(ctx, name))
    return checks


async def _listed(ctx: Context, provider: str) -> tuple[dict[str, Listed] | None, str]:
    """The provider's model list by id, or None and what the `listed` check says instead: why it was
    not read (--offline, no key, its failure). The client sends nothing without its key, a public
    list included."""
    client = ctx.engine.clients[provider]
    if ctx.offline:
        return None, "not checked (--offline)"
    if not client.has_key():
        return None, f"not checked: {provider} has no key (above)"
    reply = await ctx.listing_reply(provider)
    if reply.failure is not None:
        return None, f"not checked: {provider}'s model list could not be read ({reply.failure.short()})"
    return reply.data, ""


def _listing_check(ctx: Context, name: str, listed: dict[str, Listed] | None, unread: str) -> Check:
    cfg = ctx.engine.config.models[name]
    if listed is None:
        return skip("model", name, "listed", unread)
    if cfg.id in listed:
        return ok("model", name, "listed", f"listed by {cfg.provider}")
    return fail("model", name, "listed", f"'{cfg.id}' is not listed by {cfg.provider}{did_you_mean(cfg.id, listed)}",
                "correct the id in groups.yaml (the chain skips this model as not found)")


def _context(ctx: Context, name: str, entry: Listed | None, listing_read: bool, unlisted: bool) -> Check:
    context = entry.context_length if entry is not None else None
    source = "listing"
    if context is None:
        context, source = ctx.engine.catalog.context_length(name), "shared state"
    if context is None and not listing_read:
        return skip("model", name, "context", "not known here, and no model list was read")
    if context is None and unlisted:
        return skip("model", name, "context", "not known: the model list lacks this id")
    if context is None:
        return warn("model", name, "context", "context length unknown",
                    "nothing needed: a conversation too long for it is then found out by the provider's 400, "
                    "not skipped beforehand")
    return ok("model", name, "context", f"{context:,} tokens (from the {source})")


def _price(name: str, entry: Listed | None, configured: tuple[float, float] | None, listing_read: bool,
           unlisted: bool) -> Check:
    """The listing's price, else the one configured (`price:` in groups.yaml), per million tokens."""
    price, source = (entry.price, "the listing") if entry is not None and entry.price is not None else \
        (configured, "groups.yaml")
    if price is None and not listing_read:
        return skip("model", name, "price", "not in groups.yaml, and no model list was read")
    if price is None and unlisted:
        return skip("model", name, "price", "not in groups.yaml, and the model list lacks this id")
    if price is None:
        return warn("model", name, "price", "price unknown",
                    "add `price: {input: …, output: …}` (USD per million tokens) to the model in groups.yaml, "
                    "unless the provider reports each answer's cost")
    if price == (0.0, 0.0):
        return ok("model", name, "price", f"free (from {source})")
    prompt, completion = (f"${p:.3g}" for p in price)
    return ok("model", name, "price", f"{prompt} / {completion} per million input / output tokens (from {source})")


async def _probe(ctx: Context, name: str) -> Check:
    cfg = ctx.engine.config.models[name]
    if ctx.offline:
        return skip("model", name, "probe", "not sent (--offline)")
    if not ctx.probes:
        return skip("model", name, "probe", "not sent by this run (the health sweep probes every model)")
    if not ctx.engine.clients[cfg.provider].has_key():
        return skip("model", name, "probe", f"not sent: {cfg.provider} has no key (above)")
    result = await ctx.probe(name)
    assert result is not None
    failure, ms = result
    if failure is None:
        return ok("model", name, "probe", f"one token in {ms:.0f} ms")
    return fail("model", name, "probe", failure.summary(),
                fix_for(failure, ctx.engine.config.providers[cfg.provider], ctx.timeout))


def state_now(ctx: Context, name: str) -> Check:
    """The model's breaker now, in words: who took it out, why, until when."""
    engine = ctx.engine
    av = engine.availability.of(name)
    if av.state == "available":
        return ok("model", name, "state", "in service")
    if av.state == "probing":
        return ok("model", name, "state", "in service again after a cooldown (its next request is a trial)")
    why = f": {printable(av.reason)}" if av.reason else ""
    until = "until enabled" if av.until is None else f"until {time.strftime('%H:%M:%S', time.localtime(av.until))}"
    left = f"{until} ({format_left(av.remaining_s)})" if av.until is not None else until
    if av.state == "blocked":
        provider = engine.config.models[name].provider
        return fail("model", name, "state", f"provider {provider} blocked after {av.kind}{why}; {left}",
                    f"fix what the provider checks say, then `modelfallback enable {name}`")
    who = "by hand" if av.source == "manual" else f"automatically after {av.kind}"
    return warn("model", name, "state", f"disabled {who}{why}; {left}",
                f"`modelfallback enable {name}` brings it back now" if av.source == "manual" else
                f"it comes back by itself when a recheck passes; `modelfallback enable {name}` brings it back now")
