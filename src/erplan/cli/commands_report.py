"""`erplan report` (one self-contained HTML file) and `erplan diagram` (draw.io, Mermaid, SVG,
DOT): render first, write last, atomically, and only over a regular file that is not an input."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from erplan.cli import common

if TYPE_CHECKING:
    from erplan.analyses.verdicts import Report
    from erplan.catalogs import Catalogs
    from erplan.load import LoadedDesign

_ENDPOINTS_HELP = "A fresh download of the endpoint web service to use instead of the shipped one."


def check_output(output: Path, inputs: list[Path]) -> None:
    """Refuse, before any work, an output that is not a regular file or is one of the inputs:
    a symbolic link, a device or a directory would be replaced by a file."""
    try:
        st = output.lstat()
    except FileNotFoundError:
        if not output.parent.is_dir() and str(output.parent):
            common.usage_failure(f"cannot write {output}: no such directory {output.parent}")
        return
    except OSError as exc:
        common.usage_failure(f"cannot write {output}: {exc.strerror or exc}")
    if stat.S_ISLNK(st.st_mode):
        common.usage_failure(f"will not write {output}: it is a symbolic link")
    if not stat.S_ISREG(st.st_mode):
        common.usage_failure(f"will not write {output}: it is not a regular file")
    for source in inputs:
        try:
            if os.path.samefile(output, source):
                common.usage_failure(f"will not write {output}: it is the input {source}")
        except OSError:
            continue


def _verified(design: Path, endpoints: Path | None) -> tuple[LoadedDesign, Catalogs, Report]:
    # The loader and the engine are imported when a command runs: `--help` never needs them.
    from erplan.analyses.verdicts import verify
    from erplan.catalogs import load_catalogs
    from erplan.diagnostics import InputError
    from erplan.load import load_design

    try:
        catalogs = load_catalogs(endpoints)
        loaded = load_design(design, catalogs)
    except InputError as err:
        common.input_failure(err)
    return loaded, catalogs, verify(loaded, catalogs)


def _write(output: Path, text: str) -> None:
    from erplan.output import write_atomic

    try:
        write_atomic(output, text)
    except OSError as exc:
        common.usage_failure(f"cannot write {output}: {exc.strerror or exc}")


@common.app.command("report")
def report_command(
    design: Path = typer.Argument(..., help="The design file (YAML)."),
    output: Path = typer.Option(
        ..., "--output", "-o", help="The HTML file to write (atomically; made or replaced)."
    ),
    planning: bool = typer.Option(
        True,
        "--planning/--no-planning",
        help="Add the tables of the planning analyses installed (meet-me, failures, ...).",
    ),
    endpoints: Path | None = typer.Option(None, "--endpoints", help=_ENDPOINTS_HELP),
) -> None:
    """Write one self-contained HTML report: summary, findings, the design on a map and every
    flow's paths on it (exit 1 when the design has an error finding)."""
    from erplan.output import counts
    from erplan.report import planning_sections, render_report

    check_output(output, [design] + ([endpoints] if endpoints else []))
    loaded, catalogs, report = _verified(design, endpoints)
    sections = planning_sections(loaded, catalogs, report) if planning else []
    html = render_report(loaded.design, catalogs, report, source=design, sections=sections)
    _write(output, html)
    c = counts(report.findings)
    common.stderr().print(
        f"wrote {output} ({len(html.encode('utf-8')) / 1024:.0f} KB): "
        f"{c['error']} errors, {c['warning']} warnings, {report.summary['flows']} flows",
        markup=False,
    )
    raise common.Exit(common.EXIT_FINDINGS if report.has_errors else common.EXIT_OK)


@common.app.command("diagram")
def diagram_command(
    design: Path = typer.Argument(..., help="The design file (YAML)."),
    fmt: str = typer.Option(..., "--format", "-f", help="drawio, mermaid, svg or dot (Graphviz)."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file (atomically) instead of printing."
    ),
    flow: str | None = typer.Option(
        None, "--flow", help="Draw this flow's paths too (a key as `erplan verify` lists it)."
    ),
    endpoints: Path | None = typer.Option(None, "--endpoints", help=_ENDPOINTS_HELP),
) -> None:
    """Draw the design's topology (and one flow's paths) for draw.io/Visio, Mermaid, SVG or DOT."""
    from erplan.catalogs import suggest
    from erplan.report.diagrams import DiagramFormat, UnknownFlow, render_diagram

    try:
        chosen = DiagramFormat(fmt.strip().lower())
    except ValueError:
        common.usage_failure(
            f"unknown diagram format {fmt!r}: use {', '.join(f.value for f in DiagramFormat)}"
        )
    if output is not None:
        check_output(output, [design] + ([endpoints] if endpoints else []))
    loaded, catalogs, report = _verified(design, endpoints)
    try:
        text = render_diagram(loaded.design, catalogs, report, chosen, flow=flow)
    except UnknownFlow as exc:
        hint = suggest(exc.key, exc.known)
        common.usage_failure(
            f"unknown flow {exc.key!r}" + (f"; did you mean {hint!r}?" if hint else "")
        )
    if output is None:
        sys.stdout.write(text)
    else:
        _write(output, text)
    raise common.Exit(common.EXIT_OK)
