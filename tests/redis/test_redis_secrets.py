"""The password in a Redis URL is a secret like an API key: never in output, logs, files or Redis.

Canaries: the session server's password (redis_kit.PASSWORD) and a wrong one. Every artefact is
searched: the CLI's stdout and stderr (Redis up, down and refusing the password), every log record at
DEBUG, the local files of every machine, and every key and value in Redis. (The TUI's screens are
searched in test_redis_tui.py.)
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from redis_kit import PASSWORD, raw_client, run_cli, wait_for
from tui.engine.secrets import redact_known

WRONG = "wrong-canary-Hh3m9QxT5v"


def assert_clean(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text and WRONG not in text


def every_file(folder: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def test_the_cli_never_shows_or_stores_the_password(own_server, tmp_path: Path) -> None:
    url = own_server.url(prefix="canary")
    wrong = url.replace(PASSWORD, WRONG)
    outputs = [run_cli(tmp_path, url, "disable", "vendor/alpha", "--reason", f"the password is {PASSWORD}"),
               run_cli(tmp_path, url, "status"), run_cli(tmp_path, url, "status", "--json"),
               run_cli(tmp_path, url, "chat", "--json", "hello"), run_cli(tmp_path, url, "enable", "vendor/alpha"),
               run_cli(tmp_path, wrong, "status", "--json", machine="w"),
               run_cli(tmp_path, wrong, "disable", "vendor/beta", machine="w")]
    refused = outputs[-2]
    assert refused.returncode == 0 and '"offline": "cannot reach redis://***@' in refused.stdout
    assert "invalid" in refused.stdout.lower() or "auth" in refused.stdout.lower()  # the reason, not the secret
    own_server.kill()
    outputs += [run_cli(tmp_path, url, "disable", "vendor/beta", "--for", "1m"), run_cli(tmp_path, url, "status"),
                run_cli(tmp_path, url, "chat", "hello")]
    assert "saved locally" in outputs[-3].stderr and "shared state offline" in outputs[-2].stdout
    for out in outputs:
        assert "Traceback" not in out.stderr, out.stderr
        assert_clean(out.stdout, out.stderr)
    assert "***" in "".join(o.stdout + o.stderr for o in outputs)  # the URL is shown, masked
    files = every_file(tmp_path)
    assert "shared-redis-127.0.0.1" in "".join(p.name for p in tmp_path.rglob("*.json"))  # the local files exist
    assert_clean(files)
    own_server.start()
    assert run_cli(tmp_path, url, "status").returncode == 0  # pushes the offline disable
    client = raw_client(own_server)
    keys = client.keys("*")
    assert keys and all(PASSWORD.encode() not in k for k in keys)
    assert all(PASSWORD.encode() not in (client.dump(k) or b"") for k in keys)


@pytest.fixture
def debug_logs(caplog):
    caplog.set_level(logging.DEBUG)
    yield caplog
    for record in caplog.records:
        assert_clean(record.getMessage(), str(record.args), str(record.exc_info))


def test_logs_at_debug_never_hold_the_password(own_server, stores, debug_logs) -> None:
    url = own_server.url(prefix="logs")
    store = stores(url, timeout_s=0.3, backoff_s=(0.05, 0.2))
    store.update(lambda d: d["models"].update(m={"trips": 1}))
    own_server.kill()
    store.update(lambda d: d["models"].update(n={"trips": 1}), durable=False)
    wait_for(lambda: store.offline, 3.0, "the store to go offline")
    own_server.start()
    wait_for(lambda: store.offline is None, 3.0, "the store to come back")
    bad = stores(url.replace(PASSWORD, WRONG), "w", timeout_s=0.3)
    assert bad.offline and WRONG not in bad.offline and PASSWORD not in bad.offline
    assert debug_logs.records  # something was logged: the transitions
    assert_clean(repr(store), repr(store._link.client), store.location, bad.location, *store.warnings, *bad.warnings)


def test_the_password_is_registered_as_a_secret(url: str, stores) -> None:
    stores(url)
    assert redact_known(f"an error that echoes {PASSWORD}") == "an error that echoes ***"

