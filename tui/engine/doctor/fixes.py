"""How to fix what a failed call says, one line per failure kind (docs/architecture.md §4).

A doctor's failure is only useful with the next step: the kind decides it (a refused key needs a
new key, a timeout a look at the network or a longer `health.timeout`), the provider fills in the
names (its key variable, its base_url).
"""

from __future__ import annotations

from tui.engine.config import ProviderConfig
from tui.engine.failures import Failure, FailureKind

K = FailureKind


def key_fix(provider: ProviderConfig) -> str:
    """Where a key comes from and how to give it."""
    where = " (a new one at https://openrouter.ai/keys)" if provider.catalog == "openrouter" else ""
    return f"export {provider.api_key_env}=<your key>{where} in the shell that runs modelfallback"


def is_tls(failure: Failure) -> bool:
    text = failure.detail.lower()
    return any(word in text for word in ("ssl", "certificate", "tls"))


def fix_for(failure: Failure, provider: ProviderConfig, timeout: float) -> str:
    """The one-line fix for `failure` of a call to `provider`."""
    kind = failure.kind
    if kind == K.AUTH:
        return f"the key in ${provider.api_key_env} was refused: " + key_fix(provider) if provider.api_key_env \
            else "the endpoint wants a key: set api_key_env for this provider in groups.yaml"
    if kind == K.QUOTA:
        return "add credits or raise the key's limit with the provider, or put another provider's model in the group"
    if kind == K.RATE_LIMITED:
        return "wait a minute and run doctor again; a lasting limit needs a higher tier or another provider"
    if kind == K.NOT_FOUND:
        return f"check the model id against {provider.name}'s model list and fix it in groups.yaml"
    if kind == K.TIMEOUT:
        return (f"check the network and {provider.base_url}; a slow but working provider needs a longer "
                f"health.timeout (now {timeout:g}s)")
    if kind == K.CONNECTION and is_tls(failure):
        return ("the TLS certificate was not accepted: check the machine's clock, a proxy that intercepts TLS, "
                "or SSL_CERT_FILE")
    if kind == K.CONNECTION:
        return f"check that {provider.base_url} is right and reachable from here (server running, DNS, proxy)"
    if kind in (K.UNAVAILABLE, K.SERVER_ERROR, K.INTERRUPTED):
        return "the provider's side: the chain falls over to the next model; check its status page if it lasts"
    if kind == K.PROTOCOL:
        return f"{provider.base_url} does not answer like an OpenAI-compatible API: check base_url (often ends in /v1)"
    if kind == K.BAD_REQUEST:
        return "the provider refused a one-token request to this model: check the model id and its options"
    return "run doctor again; if it stays, look at the provider's answer with `modelfallback check`"
