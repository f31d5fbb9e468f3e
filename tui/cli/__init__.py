"""The command line (docs/architecture.md §2): the TUI by default, and the subcommands.

One module per subcommand (`chat`, `check`, `status`, `disable`, `enable`, and `interactive` for
the TUI), each a thin consumer of the engine with a `run(args) -> exit code`; `common` holds what
they share. Exit codes: 0 success; 1 the request failed; 2 usage or configuration error (one line
on stderr, never a traceback); 130 interrupted.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
from collections.abc import Sequence

from tui.cli.common import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError
from tui.cli.parser import build_parser, join_negative_values
from tui.engine.config.model import ConfigError
from tui.engine.failures import RequestError
from tui.engine.state.file_store import StateFileError
from tui.engine.text import printable


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(join_negative_values(sys.argv[1:] if argv is None else argv))
    try:
        command = importlib.import_module(f"tui.cli.{args.command or 'interactive'}")
        result = command.run(args)
        return asyncio.run(result) if inspect.iscoroutine(result) else result
    except ConfigError as exc:
        print(printable(str(exc)), file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, StateFileError, RequestError) as exc:
        print(f"modelfallback: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`); not an error worth a traceback
        return EXIT_OK
