"""The simulator: an httpx transport that plays scripted provider behaviours, and the demo.

A leaf, like httpx's mock transport: only the engine's surface (`ModelFallback(demo=True)`) and the
tests import it. `transport` speaks the OpenAI-compatible wire format; `behaviours` are the leaves
(a healthy answer, a 503, a cut stream …), `script` combines them over requests and time, `text`
writes the answers, `demo` is the script `--demo` plays.
"""

from tui.engine.sim.behaviours import (
    Answer, AuthFailure, Behaviour, ContentPolicy, ContextTooLong, CutMidStream, ErrorChunk, ErrorReply, Hang,
    Healthy, HttpError, MalformedLine, NotFound, Quota, RateLimited, ServerError, SlowFirstToken, Unavailable,
)
from tui.engine.sim.script import ChatsOnly, Composite, Flaky, KeepAlive, Sequence, ServerErrorOnce, Timeline
from tui.engine.sim.transport import SimulatorTransport

__all__ = [
    "SimulatorTransport", "Behaviour", "Answer", "Healthy", "SlowFirstToken", "CutMidStream",
    "ErrorChunk", "MalformedLine", "Hang", "ErrorReply", "HttpError", "RateLimited",
    "Unavailable", "ServerError", "Quota", "AuthFailure", "NotFound", "ContextTooLong",
    "ContentPolicy", "Composite", "ServerErrorOnce", "Sequence", "Timeline", "Flaky",
    "KeepAlive", "ChatsOnly",
]
