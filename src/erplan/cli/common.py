"""What every command shares: exit codes, the options every command spells the same way
(``--format/-f``, ``--endpoints``, ``--output/-o``, the design argument), loading inputs or
exiting 2, and writing results (escaped text, atomic files, a failing stdout).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn, cast

import typer

from erplan.diagnostics import InputError
from erplan.untrusted import escape_text

if TYPE_CHECKING:
    from rich.console import Console

    from erplan.catalogs import Catalogs
    from erplan.load import LoadedDesign

EXIT_OK = 0
EXIT_FINDINGS = 1  # at least one unsilenced error finding
EXIT_INPUT = 2  # the input (a file, an argument, a download) could not be used
EXIT_OUTPUT = 3  # the result could not be written (standard output failed: full, closed)

app: typer.Typer  # set by erplan.cli


class Format(StrEnum):
    """One ``--format`` for every command; each says which it can do and refuses the rest."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"
    CSV = "csv"


FINDINGS_FORMATS = (Format.TEXT, Format.JSON, Format.SARIF)
DATA_FORMATS = (Format.TEXT, Format.JSON)
TABLE_FORMATS = (Format.TEXT, Format.JSON, Format.CSV, Format.MARKDOWN)  # the planning tables


class Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code
        super().__init__(code)


class OutputFailed(Exception):
    """Standard output could not be written (a closed pipe, a full disk): exit 3."""


# -- options every command spells the same way -----------------------------------------------
def _choices(formats: Sequence[Format]) -> str:
    names = [f.value for f in formats]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def format_option(supported: Sequence[Format] = FINDINGS_FORMATS, note: str = "") -> Any:
    """``--format/-f``: every command accepts the same values and refuses what it cannot do
    with the same message (``check_format``)."""
    return typer.Option(
        Format.TEXT,
        "--format",
        "-f",
        help=f"{_choices(supported)}{note}.",
        metavar="|".join(f.value for f in supported),  # what this command can do
        case_sensitive=False,
    )


def check_format(fmt: Format, supported: Sequence[Format], command: str) -> None:
    if fmt not in supported:
        usage_failure(
            f"{command}: --format {fmt.value} is not available; use {_choices(supported)}"
        )


def endpoints_option() -> Any:
    return typer.Option(
        None,
        "--endpoints",
        help="A download of Microsoft's endpoint web service (`erplan endpoints fetch`) to use "
        "instead of the shipped snapshot.",
    )


def output_option(what: str = "report") -> Any:
    return typer.Option(
        None,
        "--output",
        "-o",
        help=f"Write the {what} to this file (atomically; only a regular file is replaced).",
    )


def design_argument() -> Any:
    return typer.Argument(..., help="The design file (YAML); - reads it from standard input.")


# -- inputs: loaded, or exit 2 ------------------------------------------------------------------
def load_catalogs_or_exit(endpoints: Path | None) -> Catalogs:
    from erplan.catalogs import load_catalogs

    try:
        return load_catalogs(endpoints)
    except InputError as err:
        input_failure(err)


def load_design_or_exit(design: Path | str, catalogs: Catalogs) -> LoadedDesign:
    from erplan.load import load_design

    try:
        return load_design(design, catalogs)
    except InputError as err:
        input_failure(err)


def load_inputs(design: Path | str, endpoints: Path | None) -> tuple[LoadedDesign, Catalogs]:
    """The catalogs (with ``--endpoints``) and the design, or exit 2 naming every problem."""
    catalogs = load_catalogs_or_exit(endpoints)
    return load_design_or_exit(design, catalogs), catalogs


def input_failure(err: InputError) -> NoReturn:
    """One clear message per problem, file:line:col first; exit 2, nothing written."""
    sys.stderr.write(err.render() + "\n")
    raise Exit(EXIT_INPUT)


def usage_failure(message: str) -> NoReturn:
    sys.stderr.write(escape_text(f"erplan: {message}") + "\n")
    raise Exit(EXIT_INPUT)


# -- outputs ------------------------------------------------------------------------------------
def check_output_or_exit(output: Path | None, inputs: Iterable[Path | str | None] = ()) -> None:
    """Refuse a bad ``-o`` before doing any work (exit 2)."""
    if output is None:
        return
    from erplan.files import OutputRefused, check_output

    try:
        check_output(output, [p for p in inputs if p is not None])
    except OutputRefused as exc:
        usage_failure(f"cannot write {output}: {exc.reason}")


def write_stdout(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        raise OutputFailed(exc.strerror or str(exc)) from exc


def emit(
    text: str,
    fmt: Format = Format.TEXT,
    output: Path | None = None,
    inputs: Iterable[Path | str | None] = (),
) -> None:
    """Print a result, or write it atomically to ``output``. Text is escaped for a terminal
    (JSON and SARIF escape by themselves); a refused or unwritable file is exit 2."""
    if fmt in (Format.TEXT, Format.MARKDOWN, Format.CSV):
        text = escape_text(text, keep_newlines=True)
    if output is None:
        write_stdout(text)
        return
    from erplan.files import write_atomic

    _write_or_fail(output, lambda: write_atomic(output, text, inputs=_given(inputs)))


def _given(inputs: Iterable[Path | str | None]) -> list[Path | str]:
    return [p for p in inputs if p is not None]


def _write_or_fail(output: Path, write: Callable[[], None]) -> None:
    """Run ``write``; a refused or unwritable ``output`` is exit 2 with its reason."""
    from erplan.files import OutputRefused

    try:
        write()
    except OutputRefused as exc:
        usage_failure(f"cannot write {output}: {exc.reason}")
    except OSError as exc:
        usage_failure(f"cannot write {output}: {(exc.strerror or str(exc)).lower()}")


def emit_chunks(
    chunks: Iterable[bytes], output: Path | None = None, inputs: Iterable[Path | str | None] = ()
) -> None:
    """:func:`emit` for JSON made piece by piece (``output.dumps_chunks``): written as it comes,
    to standard output or atomically to ``output``."""
    if output is not None:
        from erplan.files import write_atomic_chunks

        _write_or_fail(output, lambda: write_atomic_chunks(output, chunks, inputs=_given(inputs)))
        return
    stream = sys.stdout
    raw = getattr(stream, "buffer", None)
    try:
        stream.flush()  # what the text layer holds goes first
        for data in chunks:
            if raw is not None:
                raw.write(data)
            else:
                stream.write(data.decode("utf-8"))
        (raw or stream).flush()
    except OSError as exc:
        raise OutputFailed(exc.strerror or str(exc)) from exc


class _GuardedStream:
    """A text stream whose write errors become :class:`OutputFailed` (for rich consoles)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise OutputFailed(exc.strerror or str(exc)) from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise OutputFailed(exc.strerror or str(exc)) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


_PIPE_WIDTH = 10_000  # a table sent to a file or pipe is never cut or folded at 80 columns


def render_rich(*renderables: Any) -> str:
    """Rich renderables (tables) as plain text: the terminal's width on a terminal, full-width
    rows otherwise (``COLUMNS`` is honoured). The caller's ``emit`` escapes the result."""
    import io
    import shutil

    from rich.console import Console

    if os.environ.get("COLUMNS", "").isdigit():
        width = int(os.environ["COLUMNS"])
    elif sys.stdout.isatty():
        width = shutil.get_terminal_size().columns
    else:
        width = _PIPE_WIDTH
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, highlight=False, color_system=None, force_terminal=False
    )
    for r in renderables:
        console.print(r)
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))


def stdout() -> Console:
    """A console on standard output (colour on a terminal, NO_COLOR honoured), whose write
    errors end the command with exit 3. Callers escape what they print (``escape_text``)."""
    from rich.console import Console

    guarded = cast(IO[str], _GuardedStream(sys.stdout))
    return Console(file=guarded, highlight=False, soft_wrap=True)


def stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)
