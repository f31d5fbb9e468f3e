"""Each group: a model that answers now, and not every model behind one provider or one key (one
outage, one exhausted quota or one revoked key would then take the whole group down)."""

from __future__ import annotations

import asyncio

from tui.engine.doctor.context import Context
from tui.engine.doctor.result import Check, fail, ok, warn


async def group_checks(ctx: Context, group: str) -> list[Check]:
    return [await _answers(ctx, group), _spread(ctx, group)]


async def _answers(ctx: Context, group: str) -> Check:
    """Usable by its breaker and, unless --offline, its probe answered."""
    engine = ctx.engine
    chain = list(engine.config.groups[group])
    usable = [m for m in chain if engine.status(m).usable]
    probed = not ctx.offline and ctx.probes
    if probed:
        probes = await asyncio.gather(*(ctx.probe(m) for m in usable))
        usable = [m for m, probe in zip(usable, probes, strict=True) if probe is not None and probe[0] is None]
    if usable:
        how = "in service and answering" if probed else "in service"
        return ok("group", group, "answers now", f"{len(usable)} of {len(chain)} models {how}; "
                  f"{usable[0]} answers first")
    return fail("group", group, "answers now", f"none of its {len(chain)} models answers now",
                "see the model checks above: fix a key or an id, or enable a disabled model")


def _spread(ctx: Context, group: str) -> Check:
    engine = ctx.engine
    chain = engine.config.chain(group)
    providers = {m.provider for m in chain}
    if len(chain) == 1:
        return warn("group", group, "spread", f"one model ({chain[0].name}): nothing to fall back to",
                    "add a model from another provider to the group")
    if len(providers) == 1:
        return warn("group", group, "spread", f"{_all(len(chain))} models are behind {next(iter(providers))}: "
                    "one outage or exhausted quota takes the whole group down",
                    "add a model from another provider to the group")
    keys = {_key_identity(ctx, p) for p in providers}
    if len(keys) == 1 and None not in keys:
        return warn("group", group, "spread", f"its {len(providers)} providers share one key: one revoked key "
                    "or spent quota takes the whole group down", "give one of the providers its own key")
    return ok("group", group, "spread", f"{len(chain)} models over {len(providers)} providers")


def _key_identity(ctx: Context, provider: str) -> str | None:
    """The same key (by fingerprint) under any variable is one key; a keyless provider is its own.
    The demo gives every variable one placeholder: there, each variable stands for its own key."""
    client = ctx.engine.clients[provider]
    if client.provider.api_key_env is None:
        return None
    if ctx.engine.demo:
        return f"${client.provider.api_key_env}"
    return client.key_fingerprint() or f"${client.provider.api_key_env}"


def _all(n: int) -> str:
    return "both" if n == 2 else f"all {n}"
