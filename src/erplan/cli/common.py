"""What every command shares: exit codes, output formats, reporting input problems."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import NoReturn

import typer
from rich.console import Console

from erplan.diagnostics import InputError

EXIT_OK = 0
EXIT_FINDINGS = 1  # at least one error-severity finding
EXIT_INPUT = 2  # the input could not be used

app: typer.Typer  # set by erplan.cli


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"


class Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code
        super().__init__(code)


def stdout() -> Console:
    # Colour only on a terminal; rich decides from isatty, NO_COLOR is honoured.
    return Console(highlight=False, soft_wrap=True)


def stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def input_failure(err: InputError) -> NoReturn:
    """One clear message per problem, file:line:col first; exit 2, nothing written."""
    sys.stderr.write(err.render() + "\n")
    raise Exit(EXIT_INPUT)


def usage_failure(message: str) -> NoReturn:
    sys.stderr.write(f"erplan: {message}\n")
    raise Exit(EXIT_INPUT)
