"""The fault server standalone, as subprocess tests use it, with ProviderClient as its client."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from loopback import KEY, run, text

from tui.engine.config import ProviderConfig
from tui.engine.failures import FailureKind as K
from tui.engine.provider.client import ProviderClient


async def test_standalone_fault_server(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"scripts": {"m": [{"type": "json", "status": 503, "body": {"error": {
        "message": "down", "code": 503}}}, {"type": "stream", "tokens": ["ok"]}]}}))
    record = tmp_path / "requests.jsonl"
    server_py = Path(__file__).resolve().parents[1] / "faultserver.py"
    proc = await asyncio.create_subprocess_exec(sys.executable, str(server_py), "--port", "0", "--script",
                                                str(script), "--record", str(record),
                                                stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        port = int(await asyncio.wait_for(proc.stdout.readline(), 10))
        c = ProviderClient(ProviderConfig("sub", f"http://127.0.0.1:{port}/v1", "K"), env={"K": KEY})
        _, error, _ = await run(c, "m")
        assert error is not None and error.failure.kind is K.UNAVAILABLE
        events, error, _ = await run(c, "m")
        assert error is None and text(events) == "ok"
        await c.aclose()
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 5) == 0
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert [r["json"]["model"] for r in lines] == ["m", "m"]
    assert lines[0]["headers"]["authorization"] == f"Bearer {KEY}"


def test_standalone_fault_server_speaks_each_api(tmp_path: Path) -> None:
    """A script file's behaviours (reply, error) answer in the API of the request's path; requests are
    found by model whether it is in the body or (Gemini) in the path."""
    import httpx
    from faultprocess import FaultProcess

    server = FaultProcess(tmp_path, {"claude-x": [{"type": "error", "status": 529, "message": "Overloaded"}],
                                     "gemini-x": [{"type": "reply", "text": "hello"}]})
    try:
        base = f"http://127.0.0.1:{server.port}"
        overloaded = httpx.post(base + "/v1/messages", json={"model": "claude-x", "max_tokens": 8, "messages": []})
        answer = httpx.post(base + "/v1beta/models/gemini-x:generateContent", json={"contents": []})
    finally:
        server.close()
    assert overloaded.status_code == 529
    assert overloaded.json()["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    assert answer.json()["candidates"][0]["content"]["parts"] == [{"text": "hello"}]
    assert [r["path"] for r in server.requests("gemini-x")] == ["/v1beta/models/gemini-x:generateContent"]
    assert len(server.requests("claude-x")) == 1
