"""The provider layer: the seam between the engine and each provider API, on httpx.

`adapter` declares the seam (`Adapter`, one per API: `openai`, `anthropic`, `gemini`; `ChatClient`,
what the rest of the engine uses); `client` is the one shared client (connections, deadlines, keys,
limits); `sse` and `stream_state` turn bytes into canonical pieces and decide when an answer is
complete; `classify`, the adapters' error rules, `transport_errors` and `retry_after` turn a failure
into a `Failure` of one kind; `inbound` reads the OpenAI and Anthropic request bodies a local
endpoint receives. Nothing here knows about groups, breakers or state.
"""
