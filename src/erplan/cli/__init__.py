"""The command line: parse arguments, call the API, render, choose the exit code. Nothing else.

Each command lives in its own module and registers itself on ``app``; ``--help`` lists them in
the order of the work (check the file, check the rules, verify the flows, look closer, plan
meet-me, failures, bandwidth and staged changes, build it for real, then the reference commands).
Command modules import the heavy parts of erplan inside the commands, so ``--help`` and
``--version`` stay fast.

Exit codes: 0 no error finding, 1 an error finding, 2 unusable input (files, arguments,
downloads), 3 the result could not be written (standard output closed or full).
"""

from __future__ import annotations

import errno
import inspect
import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from erplan.cli import common

WORKFLOW_ORDER = (
    "validate",
    "lint",
    "verify",
    "trace",
    "meetme",
    "failures",
    "bandwidth",
    "security",
    "diff",
    "stages",
    "report",
    "diagram",
    "pac",
    "lists",
    "generate",
    "emulate",
    "rules",
    "explain",
    "schema",
    "catalog",
    "endpoints",
)


class _WorkflowOrder(TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        rank = {name: i for i, name in enumerate(WORKFLOW_ORDER)}
        return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None and cmd.short_help is None and cmd.help:
            # Rich help keeps a docstring's line breaks in the list of commands: one line each.
            cmd.short_help = " ".join(inspect.cleandoc(cmd.help).split("\n\n")[0].split())
        return cmd


app = typer.Typer(
    name="erplan",
    cls=_WorkflowOrder,
    help="Plan and verify ExpressRoute Microsoft-peering designs for Microsoft 365.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
common.app = app


def _version(value: bool) -> None:
    if value:
        from erplan import __version__

        common.write_stdout(f"erplan {__version__}\n")
        raise common.Exit(common.EXIT_OK)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print erplan's version and exit.",
        is_eager=True,
        callback=_version,
    ),
) -> None:
    """Plan and verify ExpressRoute Microsoft-peering designs for Microsoft 365."""


# Command modules register themselves on import.
from erplan.cli import (  # noqa: E402,F401
    commands_catalog,
    commands_change,
    commands_design,
    commands_emulate,
    commands_endpoints,
    commands_failures,
    commands_generate,
    commands_lint,
    commands_pac,
    commands_plan,
    commands_report,
    commands_security,
    commands_verify,
)

# Only writes fail with these: a full disk or quota, a file grown too large.
_WRITE_ERRNOS = frozenset((errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG))


def _run() -> int:
    try:
        # Commands return nothing; typer returns 130 for an interrupt (Ctrl-C), not an error.
        interrupted = app(standalone_mode=False)
        if isinstance(interrupted, int):
            return interrupted
    except common.Exit as exc:
        return exc.code
    except common.OutputFailed as exc:
        return _output_failed(str(exc))
    except typer.Exit as exc:
        return int(getattr(exc, "exit_code", common.EXIT_OK))
    except typer.Abort:
        return common.EXIT_INPUT
    except typer.TyperException as exc:  # every usage error: say what was wrong, exit 2
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        return common.EXIT_INPUT
    except OSError as exc:
        if exc.errno in _WRITE_ERRNOS:  # click writing help or a message
            return _output_failed(exc.strerror or str(exc))
        raise
    except SystemExit as exc:
        # rich (typer's help) answers a broken pipe by pointing stdout at /dev/null and
        # exiting 1, which would read as "the design has errors".
        if exc.code == 1 and _stdout_is_devnull():
            return _output_failed("broken pipe")
        raise
    return common.EXIT_OK


def _stdout_is_devnull() -> bool:
    try:
        out, null = os.fstat(sys.stdout.fileno()), os.stat(os.devnull)
    except (OSError, ValueError):
        return False
    return (out.st_dev, out.st_ino, out.st_rdev) == (null.st_dev, null.st_ino, null.st_rdev)


def _output_failed(reason: str) -> int:
    """One line on stderr (if it still works), exit 3; what is left in stdout's buffer is
    dropped so that the interpreter's own flush at exit does not print a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # pragma: no cover - stdout without a descriptor
        pass
    try:
        sys.stderr.write(f"erplan: cannot write standard output: {reason.lower()}\n")
        sys.stderr.flush()
    except OSError:  # pragma: no cover - stderr gone as well
        pass
    return common.EXIT_OUTPUT


def main() -> None:
    """Console-script entry point: erplan's exit codes, never a traceback for input or output."""
    code = _run()
    try:
        sys.stdout.flush()
    except OSError as exc:
        code = _output_failed(exc.strerror or str(exc))
    sys.exit(code)
