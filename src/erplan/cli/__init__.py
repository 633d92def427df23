"""The command line: parse arguments, call the API, render, choose the exit code. Nothing else.

Each command lives in its own module and registers itself on ``app``.
"""

from __future__ import annotations

import sys

import typer

from erplan.cli import common

app = typer.Typer(
    name="erplan",
    help="Plan and verify ExpressRoute Microsoft-peering designs for Microsoft 365.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
common.app = app

# Command modules register themselves on import (order = order in --help).
from erplan.cli import (  # noqa: E402,F401
    commands_catalog,
    commands_design,
    commands_emulate,
    commands_lint,
    commands_pac,
    commands_report,
    commands_verify,
)


def main() -> None:
    """Console-script entry point: exit codes are those of erplan, never a traceback for input."""
    try:
        app(standalone_mode=False)
    except common.Exit as exc:
        sys.exit(exc.code)
    except typer.Abort:
        sys.exit(common.EXIT_INPUT)
    except (typer.BadParameter, typer.Exit) as exc:  # pragma: no cover - click handles most
        code = getattr(exc, "exit_code", common.EXIT_INPUT)
        if isinstance(exc, typer.BadParameter):  # every usage error: say what was wrong
            exc.show()
        sys.exit(code)
    except typer.TyperException as exc:  # other usage errors (typer's own click): say so, exit 2
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        sys.exit(common.EXIT_INPUT)
    except Exception as exc:  # click usage errors arrive as ClickException
        import click

        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(common.EXIT_INPUT)
        raise
