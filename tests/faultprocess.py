"""The fault server (`faultserver.py`) as a process of its own, for tests that run real command-line
processes against it: started with a script, every request recorded to a JSON-lines file.

    server = FaultProcess(tmp_path, {"model-a": [...]})
    server.port, server.requests("model-a"), server.close()
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from faultwires import gemini_model

SERVER = Path(__file__).resolve().parent / "faultserver.py"


def model_of(row: dict) -> str | None:
    """A recorded request's model: the body's `model`, or Gemini's in the path."""
    body = row.get("json")
    if isinstance(body, dict) and isinstance(body.get("model"), str):
        return body["model"]
    return gemini_model(row.get("path") or "")


class FaultProcess:
    """`python tests/faultserver.py --port 0` serving `scripts` ({model: [behaviour as JSON, ...]})."""

    def __init__(self, tmp: Path, scripts: dict) -> None:
        tmp.mkdir(parents=True, exist_ok=True)
        script = tmp / "script.json"
        script.write_text(json.dumps({"scripts": scripts}))
        self.record = tmp / "requests.jsonl"
        self.proc = subprocess.Popen([sys.executable, str(SERVER), "--port", "0", "--script", str(script),
                                      "--record", str(self.record)], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def requests(self, model: str | None = None) -> list[dict]:
        """Every request the server received so far (those for `model` when given), in order."""
        if not self.record.exists():
            return []
        rows = [json.loads(line) for line in self.record.read_text().splitlines()]
        return [r for r in rows if model is None or model_of(r) == model]

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
