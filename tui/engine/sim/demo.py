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

Models not in the script (a user's own groups.yaml with --demo) are simply healthy.
"""

from __future__ import annotations

from tui.engine.clock import Clock
from tui.engine.config import Config
from tui.engine.sim.behaviours import (
    Behaviour, CutMidStream, Healthy, RateLimited, Unavailable,
)
from tui.engine.sim.script import ChatsOnly, Flaky, KeepAlive, Sequence, Timeline
from tui.engine.sim.transport import SimulatorTransport

DEMO_NOTICE = "Demo mode: simulated providers, no network, no API key"
DEMO_SEED = 3
DEMO_KEY = "demo-no-key-needed"


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
    }


def demo_transport(clock: Clock | None = None, speed: float = 1.0) -> SimulatorTransport:
    """The transport `--demo` gives every provider client."""
    return SimulatorTransport(demo_scripts(), default=Healthy(), seed=DEMO_SEED, clock=clock,
                              speed=speed)


def demo_env(config: Config | None = None) -> dict[str, str]:
    """A placeholder for each provider's key variable, so the real client sends requests.

    The simulator never reads keys; the placeholder is not a secret and never leaves the process.
    """
    if config is None:
        return {"OPENROUTER_API_KEY": DEMO_KEY}
    return {p.api_key_env: DEMO_KEY for p in config.providers.values() if p.api_key_env}
