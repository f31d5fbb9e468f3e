"""`serve`: the chains as a local OpenAI- and Anthropic-compatible endpoint (docs/architecture.md §9).

`app` is the ASGI application (routes, token, limits), `relay` one chat written in the client's
format, `parse` the inbound bodies, `openai_wire` / `anthropic_wire` the outbound shapes,
`traffic` the served requests, `server` uvicorn on a bound socket. No Textual here: the headless
command and the TUI's traffic view both read `Traffic`.
"""
