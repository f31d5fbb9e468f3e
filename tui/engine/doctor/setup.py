"""Opening a setup for `doctor`, and the first two checks: which config and which state, and why.

`doctor` must report a broken setup instead of stopping at it: a config that does not load is a
✗ (with its `file:line: key`), and a state that cannot be opened is a ✗ while the other checks
run on a state kept in memory. Where each was found comes from the one lookup (`config/paths`),
so what doctor says is what every command does.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.engine.config.model import ConfigError
from tui.engine.config.paths import Located, locate_config, locate_state
from tui.engine.doctor.result import Check, fail, ok
from tui.engine.state import file_lock
from tui.engine.state.file_store import StateFileError
from tui.engine.state.redis_link import DEFAULT_TIMEOUT_S as REDIS_CONNECT_S  # the Redis store's bound on connecting
from tui.engine.text import printable

if TYPE_CHECKING:
    from tui.engine.api import ModelFallback

FIX_CONFIG = "fix the file at the line named; `modelfallback status` reports the same error"


@dataclass
class Opened:
    """The engine doctor checks (None when the config did not load), and what opening it found."""

    engine: ModelFallback | None
    checks: list[Check] = field(default_factory=list)


def open_setup(config_flag: str | None, state_flag: str | None, env: Mapping[str, str], *, demo: bool = False,
               **engine_options: Any) -> Opened:
    """The engine as `ModelFallback.from_files` opens it, or the checks that say why it cannot be.

    The state file is opened without its lock (reading needs none): the lock and a write are the
    state check's, run beside every other check and bounded by `health.timeout`, so a lock that a
    stuck process holds costs no time before the checks start, and the models' states are still
    read from the real file. Opening may still wait (a Redis that does not answer, a file system
    that hangs), so the engine is opened in a daemon thread and waited for at most
    `health.timeout` plus Redis's connect bound; past that the state is the finding and the other
    checks run on a state kept in memory."""
    from tui.engine.api import ModelFallback, load_located

    try:
        config_at, config = load_located(config_flag, env, demo=demo)
    except ConfigError as exc:
        at = locate_config(config_flag, env)
        return Opened(None, [fail("config", "", "config", f"{at.where} · {at.why} · {printable(str(exc))}",
                                  FIX_CONFIG)])
    outcome: list = []
    opener = threading.Thread(target=_open_into, args=(outcome, config_flag, state_flag, env, demo, engine_options),
                              name="modelfallback-doctor-open", daemon=True)
    opener.start()
    bound = config.health.timeout + REDIS_CONNECT_S  # a Redis state may take its own connect timeout first
    opener.join(bound)
    if outcome and isinstance(outcome[0], ModelFallback):
        return Opened(outcome[0], location_checks(outcome[0]))
    if outcome and not isinstance(outcome[0], StateFileError):
        raise outcome[0]
    # the same config, with a state in memory: the state's problem is the finding
    state_at = locate_state(state_flag, env, configured=config.state, demo=demo)
    engine = ModelFallback(config, state_path=None, env=env, demo=demo, **engine_options)
    engine.located = (config_at, state_at)
    if outcome:
        problem = printable(str(outcome[0]))
        redis = "redis" in problem
        fix = ("install the extra (pip install 'modelfallback[redis]') or check the redis:// URL" if redis else
               "name a folder this user can write with --state or $MODELFALLBACK_STATE, or fix its permissions")
    else:
        problem = f"{_display(state_at)}: not opened within {bound:g}s"
        fix = ("another process holds the state file's lock (a stuck modelfallback, or a network file system "
               f"without locks): every command stops after waiting {file_lock.LOCK_WAIT_S:g}s for it; or the "
               "shared state does not answer")
    return Opened(engine, [*location_checks(engine, state_usable=False),
                           fail("state", "", "state usable", problem, fix)])


def _open_into(outcome: list, config_flag: str | None, state_flag: str | None, env: Mapping[str, str], demo: bool,
               engine_options: dict[str, Any]) -> None:
    """`ModelFallback.from_files`, its engine or its exception appended to `outcome` (a thread's body)."""
    from tui.engine.api import ModelFallback

    try:
        outcome.append(ModelFallback.from_files(config_flag, state_flag, env=env, demo=demo, check_state=False,
                                                **engine_options))
    except Exception as exc:  # noqa: BLE001 - handed to the waiting caller as is
        outcome.append(exc)


def location_checks(engine: ModelFallback, *, state_usable: bool = True) -> list[Check]:
    """Which config file and which state are used, and why those."""
    config_at, state_at = engine.located or (None, None)
    config = engine.config
    checks = [ok("config", "", "config", _where(config.path or "built in code", config_at)
                 + f" · {_count(config.providers, 'provider')}, {_count(config.models, 'model')}, "
                   f"{_count(config.groups, 'group')}")]
    where = engine.store.location if state_usable else _display(state_at)
    checks.append(ok("state", "", "state location", _where(where, state_at)))
    return checks


def _where(what: object, at: Located | None) -> str:
    return f"{what}" + (f" · {at.why}" if at is not None else "")


def _display(at: Located | None) -> str:
    """A location for a message: a redis URL without its password."""
    if at is None:
        return "memory"
    from tui.engine.config.state_location import is_redis_url, parse_redis_url

    if is_redis_url(at.where):
        try:
            return parse_redis_url(str(at.where)).display
        except ValueError:
            return "a redis:// URL that does not parse"
    return str(at.where)


def _count(items: object, word: str) -> str:
    n = len(items)  # type: ignore[arg-type]
    return f"{n} {word}{'s' * (n != 1)}"
