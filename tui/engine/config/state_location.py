"""Where the shared state lives: a JSON file, or a Redis server named by a URL.

    redis://[:password@]host[:port][/db][?prefix=NAME]      rediss:// for TLS

Parsed once, for the config loader (a bad URL is a `file:line` error) and the Redis store alike.
The password is a secret like an API key: `display` never shows it, and neither does any error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_PREFIX = "modelfallback"
REDIS_SCHEMES = ("redis", "rediss")


@dataclass(frozen=True)
class RedisLocation:
    host: str
    port: int = 6379
    db: int = 0
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    prefix: str = DEFAULT_PREFIX

    @property
    def display(self) -> str:
        """The URL without its password, for messages and screens."""
        auth = "***@" if self.password else ""
        query = "" if self.prefix == DEFAULT_PREFIX else f"?prefix={self.prefix}"
        return f"{'rediss' if self.tls else 'redis'}://{auth}{self.host}:{self.port}/{self.db}{query}"


def is_redis_url(text: object) -> bool:
    return isinstance(text, str) and text.strip().split("://", 1)[0].lower() in REDIS_SCHEMES and "://" in text


def parse_redis_url(text: str) -> RedisLocation:
    """A RedisLocation, or ValueError with a reason that never contains the URL (it may hold a password)."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        raise ValueError("expected redis://[:password@]host:port/db (the port must be a number)") from None
    if parts.scheme.lower() not in REDIS_SCHEMES:
        raise ValueError("expected a redis:// or rediss:// URL")
    if not parts.hostname:
        raise ValueError("expected redis://[:password@]host:port/db (no host)")
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise ValueError("expected redis://host:port/db with a database number, like /0")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"prefix"})
    if unknown:
        raise ValueError(f"unknown option {unknown[0]!r} in the redis URL; expected only ?prefix=NAME")
    prefix = (query.get("prefix") or [DEFAULT_PREFIX])[-1].strip()
    if not prefix or any(c.isspace() for c in prefix):
        raise ValueError("expected ?prefix=NAME without spaces")
    return RedisLocation(host=parts.hostname, port=port or 6379, db=int(path or 0),
                         tls=parts.scheme.lower() == "rediss",
                         username=unquote(parts.username) if parts.username else None,
                         password=unquote(parts.password) if parts.password else None, prefix=prefix)
