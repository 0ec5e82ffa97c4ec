"""The ``poseapp`` command. With no subcommand it opens the GUI.

Each subcommand lives in its own module and registers itself through ``COMMANDS``; every one
is a plain function over the data model, usable from tests without a window.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Callable, Sequence

from poseapp import __version__
from poseapp.cli import data_commands, gui_commands, model_commands
from poseapp.core.errors import PoseAppError, describe_os_error
from poseapp.core.crash_report import write_crash_report

# Each module adds its subparsers and returns {name: handler(args) -> exit code}.
COMMAND_MODULES = (data_commands, model_commands, gui_commands)


class HelpWithDefaults(argparse.HelpFormatter):
    """Each option's help ends with its default, when it has one worth saying and the text does not
    already name it."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (action.option_strings and default not in (None, False, argparse.SUPPRESS) and "default" not in text
                and not isinstance(action, (argparse._HelpAction, argparse._VersionAction))):
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpWithDefaults)
        super().__init__(*args, **kwargs)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Callable[[argparse.Namespace], int]]]:
    parser = argparse.ArgumentParser(
        prog="poseapp",
        description="2D human pose estimation workbench. Run with no command to open the application.",
    )
    parser.add_argument("--version", action="version", version=f"poseapp {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {}
    for module in COMMAND_MODULES:
        handlers.update(module.register(sub))
    return parser, handlers


def main(argv: Sequence[str] | None = None) -> int:
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    command = args.command or "gui"
    if args.command is None:
        args.project = None
    try:
        return handlers[command](args)
    except PoseAppError as exc:
        print(f"poseapp {command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"poseapp {command}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a read-only folder, a full disk, a path that is a folder ...
        print(f"poseapp {command}: error: {describe_os_error(exc)}", file=sys.stderr)
        return 1
    except (RecursionError, MemoryError) as exc:
        print(f"poseapp {command}: error: the input is too large or too deeply nested to read ({type(exc).__name__})",
              file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug of ours: the user gets a message, the log gets the traceback
        log_path = write_crash_report(command, argv)
        print(f"poseapp {command}: internal error: {type(exc).__name__}: {exc}. This is a bug in poseapp; "
              f"the details are in {log_path}", file=sys.stderr)
        return 70
