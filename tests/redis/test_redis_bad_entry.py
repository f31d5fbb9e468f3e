"""One entry of the wrong shape in the shared document (written by a bug, a hand edit, another
version) must not take down any machine: it is dropped with one warning, the rest is used."""

from __future__ import annotations

import json
from pathlib import Path

from redis_kit import raw_client, rows, run_cli, status_json


def test_one_bad_entry_in_redis_crashes_no_command(own_server, tmp_path: Path) -> None:
    url = own_server.url(prefix="bad")
    assert run_cli(tmp_path, url, "disable", "vendor/beta", "--until-enabled", "--reason", "kept").returncode == 0
    client = raw_client(own_server)
    doc = json.loads(client.get("bad:state"))
    doc["models"]["vendor/alpha"] = {"disabled": {"source": "manual", "kind": "manual", "until": "soon"}}
    doc["health"]["vendor/gamma"] = {"status": 7}
    doc["stamps"]["models"]["vendor/alpha"] = {"at": "later", "manual": True}
    client.set("bad:state", json.dumps(doc))
    for machine in ("a", "b"):  # every machine of the team reads it
        out = run_cli(tmp_path, url, "status", machine=machine)
        assert out.returncode == 0 and "Traceback" not in out.stderr and "vendor/alpha" in out.stdout
        assert "ignored models['vendor/alpha']" in out.stderr and "ignored health['vendor/gamma']" in out.stderr
        status = status_json(tmp_path, url, machine=machine)
        assert set(rows(status)) == {"vendor/alpha", "vendor/beta", "vendor/gamma"}
        assert rows(status)["vendor/beta"]["status"] == "disabled" and rows(status)["vendor/beta"]["reason"] == "kept"
        assert rows(status)["vendor/alpha"]["status"] != "disabled"
    for machine in ("a", "b"):
        chat = run_cli(tmp_path, url, "chat", "--json", "hi", machine=machine)  # port 9: every model fails
        assert chat.returncode == 1 and "Traceback" not in chat.stderr
        assert json.loads(chat.stdout)["ok"] is False
    shared = json.loads(client.get("bad:state"))  # the next write dropped what did not fit
    assert shared["models"]["vendor/alpha"]["disabled"]["source"] == "auto"
    assert all(row.get("status") in ("healthy", "degraded", "unknown") for row in shared["health"].values())
    assert shared["stamps"]["models"]["vendor/alpha"]["at"] != "later"
    assert run_cli(tmp_path, url, "enable", "vendor/beta").returncode == 0  # and the state stays writable
