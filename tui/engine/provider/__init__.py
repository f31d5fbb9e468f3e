"""The provider layer: one OpenAI-compatible endpoint on httpx.

`client` sends and streams with hard time budgets, `sse` and `stream_state` turn bytes into tokens
and decide when an answer is complete, `classify` and `retry_after` turn a failed response into a
`Failure` of one kind. Nothing here knows about groups, breakers or state.
"""
