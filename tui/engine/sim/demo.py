"""Demo mode: the default groups played by the simulator, no network and no API key (docs/architecture.md §5).

The script is chosen so a new user sees failover, an interrupted answer, a countdown, a
half-open probe failing and then a recovery, and a short rate-limit wait, within the first minute.
With the default policy (cooldown 10 s, factor 2; ttft 10 s; Retry-After wait up to 5 s) and
times counted from each model's first request:

coding  claude-3.5-sonnet → gpt-4-turbo → deepseek-coder
   0 s  first chat: claude-3.5-sonnet 503 → out 0:10. gpt-4-turbo streams ~30 tokens, then the
        connection drops → the partial stays (interrupted), out 0:10. deepseek-coder sends
        keep-alive comments, then answers in full.
  10 s  claude's cooldown ends → half-open probe → still 503 → out 0:20 (second trip).
        gpt-4-turbo's probe passes (it is cut only once, and only in a real answer).
  25 s  claude's outage ends.
 ~30 s  claude's next probe succeeds → healthy again: the visible recovery. Chats from here on
        are answered by claude-3.5-sonnet.
fast    claude-3-haiku → gpt-3.5-turbo → llama-3.1-8b-instruct
        claude-3-haiku's first real chat gets 429 with Retry-After: 1 → the chain waits 1 s and
        retries it → answered. Health probes never see that 429.
cheap   llama-3.1-8b-instruct → mistral-7b-instruct
        llama answers quickly. mistral is behind it, so its flakiness (503 about one time in
        four, fixed by the seed: its second request fails) shows up in health checks and the
        models panel rather than in answers.
direct  claude-sonnet-4-5 (Anthropic's API) → gemini-2.5-flash (Gemini's API) → openai/gpt-4o-mini
   0 s  claude-sonnet-4-5 passes its health checks, but its first real chat gets 529
        overloaded_error on Anthropic's own wire → out 0:10, and gemini-2.5-flash answers on
        Gemini's wire: a failover from one API to another, in the chat's attempt trail. Its
        rechecks bring it back; chats fail over again until its outage ends at 40 s.

The `direct` group is in the demo's own configuration (demo_groups.yaml, used when the user has no
groups.yaml), not in the packaged default: its models need the vendors' own keys.

Models not in the script (a user's own groups.yaml with --demo) are simply healthy.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tui.engine.clock import Clock
from tui.engine.config import Config
from tui.engine.sim.behaviours import (
    Behaviour, CutMidStream, Healthy, RateLimited, Unavailable,
)
from tui.engine.sim.catalog import Account, Listing
from tui.engine.sim.script import ChatsOnly, Flaky, KeepAlive, Sequence, Timeline
from tui.engine.sim.transport import SimulatorTransport

DEMO_NOTICE = "Demo mode: simulated providers, no network, no API key"
DEMO_CONFIG = Path(__file__).with_name("demo_groups.yaml")  # the default groups plus `direct`, across APIs
DEMO_SEED = 3
DEMO_KEY = "demo-no-key-needed"
DEMO_ACCOUNT = Account(limit=25.0, usage=3.17)  # what the demo's OpenRouter key endpoint tells: a limit, some used


def demo_scripts() -> dict[str, Behaviour]:
    """The behaviour of each default model (see the module docstring for the timeline)."""
    return {
        # coding
        "anthropic/claude-3.5-sonnet": Timeline([
            (0.0, Unavailable()),
            (25.0, Healthy(ttft=0.5, tokens_per_s=70)),
        ]),
        "openai/gpt-4-turbo": CutMidStream(after_tokens=30, times=1, ttft=0.6, tokens_per_s=40),
        "deepseek/deepseek-coder": KeepAlive(Healthy(ttft=0.4, tokens_per_s=80),
                                             comments=2, interval=0.4),
        # fast
        "anthropic/claude-3-haiku": ChatsOnly(Sequence([
            RateLimited(retry_after=1.0),
            Healthy(ttft=0.2, tokens_per_s=120),
        ]), probes=Healthy(ttft=0.2, tokens_per_s=120)),
        "openai/gpt-3.5-turbo": Healthy(ttft=0.25, tokens_per_s=100),
        # fast and cheap
        "meta-llama/llama-3.1-8b-instruct": Healthy(ttft=0.15, tokens_per_s=140),
        "mistralai/mistral-7b-instruct": Flaky(p=0.25, failure=Unavailable(),
                                               ok=Healthy(ttft=0.2, tokens_per_s=110)),
        # direct: each model on its vendor's own API
        "claude-sonnet-4-5": ChatsOnly(Timeline([
            (0.0, Unavailable()),  # Anthropic's wire spells it 529 overloaded_error
            (40.0, Healthy(ttft=0.5, tokens_per_s=70)),
        ]), probes=Healthy(ttft=0.3, tokens_per_s=70)),
        "gemini-2.5-flash": Healthy(ttft=0.3, tokens_per_s=110),
        "openai/gpt-4o-mini": Healthy(ttft=0.25, tokens_per_s=100),
    }


def demo_catalog(models: Iterable[str] = ()) -> dict[str, Listing]:
    """What the demo's provider publishes: context lengths, prices (so answers report a cost) and
    uptime; claude-3.5-sonnet's uptime shows the outage it is having. `models` (a user's own
    groups.yaml with --demo) are listed too, with defaults, so none of them reads as "not found"."""
    per_m = 1e-6  # prices below are USD per million tokens, as providers quote them
    catalog = {model: Listing() for model in models}
    catalog.update({
        "anthropic/claude-3.5-sonnet": Listing(200_000, 3 * per_m, 15 * per_m, uptime_5m=0.0, uptime_30m=61.7,
                                               uptime_1d=97.2, status=-5),
        "openai/gpt-4-turbo": Listing(128_000, 10 * per_m, 30 * per_m, uptime_30m=99.1),
        "deepseek/deepseek-coder": Listing(128_000, 0.14 * per_m, 0.28 * per_m, uptime_30m=99.6),
        "anthropic/claude-3-haiku": Listing(200_000, 0.25 * per_m, 1.25 * per_m, uptime_30m=99.8),
        "openai/gpt-3.5-turbo": Listing(16_385, 0.5 * per_m, 1.5 * per_m, uptime_30m=99.9),
        "meta-llama/llama-3.1-8b-instruct": Listing(131_072, 0.02 * per_m, 0.05 * per_m, uptime_30m=99.7),
        "mistralai/mistral-7b-instruct": Listing(8_192, 0.03 * per_m, 0.055 * per_m, uptime_30m=93.4),
        "claude-sonnet-4-5": Listing(200_000),  # the vendors' own listings carry no price
        "gemini-2.5-flash": Listing(1_048_576),
        "openai/gpt-4o-mini": Listing(128_000, 0.15 * per_m, 0.6 * per_m, uptime_30m=99.9),
    })
    return catalog


def demo_transport(clock: Clock | None = None, speed: float = 1.0, models: Iterable[str] = ()) -> SimulatorTransport:
    """The transport `--demo` gives every provider client (`models`: the configured model ids)."""
    return SimulatorTransport(demo_scripts(), default=Healthy(), seed=DEMO_SEED, clock=clock,
                              speed=speed, catalog=demo_catalog(models), account=DEMO_ACCOUNT)


def demo_env(config: Config | None = None) -> dict[str, str]:
    """A placeholder for each provider's key variable, so the real client sends requests.

    The simulator never reads keys; the placeholder is not a secret and never leaves the process.
    """
    if config is None:
        return {"OPENROUTER_API_KEY": DEMO_KEY}
    return {p.api_key_env: DEMO_KEY for p in config.providers.values() if p.api_key_env}
