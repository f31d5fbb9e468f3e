"""The Redis store's semantics against a real server: the file store's contract, across processes.

Each test has its own key prefix on the session's server (tests/redis/conftest.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from redis_kit import PASSWORD, REPO, raw_client, wait_for
from tui.engine.state.file_store import VERSION, StateFileError
from tui.engine.state.store import open_store


def _set(model: str, value: object):
    def mutate(data: dict) -> None:
        data["models"][model] = value
    return mutate


def _count(data: dict) -> None:
    data["models"].setdefault("count", {"trips": 0})["trips"] += 1  # a counter as an entry's trips


def test_open_store_gives_a_redis_store_that_is_online(url: str, prefix: str) -> None:
    store = open_store(url)
    try:
        assert type(store).__name__ == "RedisStore" and store.offline is None
        assert store.location.startswith("redis://***@127.0.0.1:") and store.location.endswith(f"?prefix={prefix}")
        assert PASSWORD not in store.location and store.warnings == []
    finally:
        store.close()


def test_a_manual_change_is_in_redis_when_update_returns(url: str, prefix: str, redis_server, stores) -> None:
    store = stores(url)
    assert store.update(lambda d: d["models"].setdefault("m", {"trips": 1}) and "done") == "done"
    stored = json.loads(raw_client(redis_server).get(f"{prefix}:state"))  # read straight after, no waiting
    assert stored["version"] == VERSION and stored["models"] == {"m": {"trips": 1}} and stored["rev"] == 1
    assert stored["stamps"]["models"]["m"]["manual"] is True


def test_a_noop_update_writes_nothing(url: str, prefix: str, redis_server, stores) -> None:
    store = stores(url)
    store.update(lambda d: None)
    store.update(lambda d: None, durable=False)
    store.flush()
    assert raw_client(redis_server).keys(f"{prefix}:*") == []


def test_another_store_sees_a_change_within_a_second(url: str, stores) -> None:
    a, b = stores(url, "a"), stores(url, "b")
    for n in range(5):
        a.update(_set(f"m{n}", {"trips": n}))
        took = wait_for(lambda n=n: f"m{n}" in b.data["models"], 1.0, "the change to reach the other store")
        assert took < 1.0
    assert b.refresh() and not b.refresh()  # the view changed once, then nothing new


def test_write_behind_is_visible_at_once_and_in_redis_shortly_after(url: str, prefix: str, redis_server,
                                                                    stores) -> None:
    store = stores(url)
    client = raw_client(redis_server)
    store.update(_set("m", {"trips": 1}), durable=False)
    assert store.data["models"]["m"] == {"trips": 1}  # this process sees it at once
    wait_for(lambda: client.get(f"{prefix}:state") is not None, 2.0, "the write-behind to reach Redis")
    assert json.loads(client.get(f"{prefix}:state"))["models"]["m"] == {"trips": 1}


def test_many_write_behind_updates_are_all_written_and_each_once(url: str, stores) -> None:
    store = stores(url)
    for n in range(200):
        store.update(_set(f"m{n}", {"trips": n}), durable=False)
        store.update(_count, durable=False)
    store.flush()
    fresh = stores(url, "b")
    assert fresh.data["models"] == {**{f"m{n}": {"trips": n} for n in range(200)}, "count": {"trips": 200}}


def test_a_manual_change_goes_after_the_pending_automatic_ones(url: str, stores) -> None:
    store = stores(url)
    store.update(_set("x", {"trips": 1}), durable=False)
    store.update(lambda d: d["models"].pop("x"))  # must see the pending change, and come after it
    other = stores(url, "b")
    assert "x" not in other.data["models"]


def test_leases_are_keys_with_an_expiry_held_by_one_owner(url: str, prefix: str, redis_server, stores) -> None:
    a, b = stores(url, "a"), stores(url, "b")
    assert a.take_lease("recheck:m", "a", 15.0, now=100.0)
    assert not b.take_lease("recheck:m", "b", 15.0, now=101.0)
    assert a.take_lease("recheck:m", "a", 15.0, now=102.0)  # the holder renews
    assert not b.take_lease("recheck:m", "b", 15.0, now=116.9)
    assert b.take_lease("recheck:m", "b", 15.0, now=117.1)  # ran out by the caller's clock (a may be dead)
    client = raw_client(redis_server)
    key = f"{prefix}:lease:recheck:m"
    assert json.loads(client.get(key)) == {"owner": "b", "until": 132.1}
    assert 0 < client.pttl(key) <= 15000  # Redis drops it by itself too
    assert b.take_lease("short", "b", 0.05, now=0.0)
    wait_for(lambda: client.get(f"{prefix}:lease:short") is None, 2.0, "the lease key to expire")
    assert a.take_lease("short", "a", 10.0, now=0.0)
    assert a.data["leases"] == {}  # leases never travel in the document


def test_a_prefix_keeps_two_configurations_apart(redis_server, stores) -> None:
    one, two = stores(redis_server.url(prefix="cfg-one"), "a"), stores(redis_server.url(prefix="cfg-two"), "b")
    one.update(_set("m", {"trips": 1}))
    assert "m" not in two.data["models"] and stores(redis_server.url(prefix="cfg-one"), "c").data["models"]["m"]
    keys = {k.decode() for k in raw_client(redis_server).keys("cfg-*")}
    assert keys == {"cfg-one:state"}
    raw_client(redis_server).delete("cfg-one:state")


def test_the_default_prefix_is_modelfallback(redis_server, stores) -> None:
    client = raw_client(redis_server, db=3)
    store = stores(redis_server.url(db=3), "a")
    store.update(_set("m", {"trips": 1}))
    assert [k.decode() for k in client.keys("*")] == ["modelfallback:state"]
    client.flushdb()


def test_a_document_from_a_newer_version_is_never_overwritten(url: str, prefix: str, redis_server, stores) -> None:
    client = raw_client(redis_server)
    newer = json.dumps({"version": VERSION + 1, "models": {"m": {"x": 1}}})
    client.set(f"{prefix}:state", newer)
    store = stores(url)
    assert "newer modelfallback" in (store.offline or "")
    store.update(_set("auto", {"trips": 1}), durable=False)  # kept locally
    assert store.data["models"]["auto"] == {"trips": 1}
    with pytest.raises(StateFileError, match="newer modelfallback"):
        store.update(_set("manual", {}))
    store.flush()
    assert client.get(f"{prefix}:state").decode() == newer


def test_a_corrupt_document_is_moved_aside(url: str, prefix: str, redis_server, stores) -> None:
    client = raw_client(redis_server)
    client.set(f"{prefix}:state", b'{"version": 1, "models": {"x"')
    store = stores(url)
    assert store.offline is None and store.data["models"] == {}
    aside = [k.decode() for k in client.keys(f"{prefix}:state:corrupt-*")]
    assert len(aside) == 1 and client.get(aside[0]).startswith(b'{"version"')


def test_a_bad_url_is_a_clear_error_without_the_password() -> None:
    with pytest.raises(StateFileError) as info:
        open_store(f"redis://:{PASSWORD}@127.0.0.1:notaport/0")
    assert "port must be a number" in str(info.value) and PASSWORD not in str(info.value)


MISSING_EXTRA = """
import sys
sys.modules["redis"] = None  # as if `pip install modelfallback` without the redis extra
import tui.cli
sys.exit(tui.cli.main(sys.argv[1:]))
"""


def test_without_the_extra_the_cli_says_so_in_one_line_and_exits_2(tmp_path: Path) -> None:
    from redis_kit import cli_env, write_config

    config = write_config(tmp_path)
    out = subprocess.run([sys.executable, "-c", MISSING_EXTRA, "--config", str(config), "--state",
                          f"redis://:{PASSWORD}@127.0.0.1:6399/0", "status"], cwd=str(REPO),
                         env=cli_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == ("modelfallback: a redis:// state needs the redis extra: "
                          "pip install 'modelfallback[redis]'\n")

