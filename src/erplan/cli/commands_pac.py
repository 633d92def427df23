"""`erplan pac` (a PAC file per site) and `erplan lists` (bypass and address lists for the
devices on each path), both from the flow engine's answers for the design."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from erplan.cli import common
from erplan.generators.modes import Mode

if TYPE_CHECKING:
    from erplan.catalogs import Catalogs
    from erplan.generators.decisions import Plan
    from erplan.generators.lists import SiteLists
    from erplan.load import LoadedDesign

_ENDPOINTS_HELP = "A fresh download of the endpoint web service to use instead of the shipped one."
_SITE_HELP = "A site (repeat for several). Default: every site with users."
_MODE_HELP = (
    "Which categories may go DIRECT where the site routes them over ExpressRoute: optimize "
    "(Get-PacFile Type 1), allow (Type 2) or all."
)


def _load(design: Path, endpoints: Path | None) -> tuple[LoadedDesign, Catalogs]:
    # The loader and the engine are imported when a command runs: `--help` never needs them.
    from erplan.catalogs import load_catalogs
    from erplan.diagnostics import InputError
    from erplan.load import load_design

    try:
        catalogs = load_catalogs(endpoints)
        return load_design(design, catalogs), catalogs
    except InputError as err:
        common.input_failure(err)


def _plan(
    design: Path, sites: list[str] | None, mode: Mode, endpoints: Path | None
) -> tuple[Plan, Catalogs]:
    from erplan.catalogs import suggest
    from erplan.generators.plan import plan

    loaded, catalogs = _load(design, endpoints)
    known = list(loaded.design.sites)
    for s in sites or []:
        if s not in loaded.design.sites:
            hint = suggest(s, known)
            common.usage_failure(
                f"unknown site {s!r}" + (f"; did you mean {hint!r}?" if hint else "")
            )
    return plan(loaded, catalogs, mode=mode, sites=sites or None, file=design.name), catalogs


def _date(text: str | None) -> str:
    if text is None:
        return datetime.now(UTC).date().isoformat()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        common.usage_failure(f"--date {text!r} is not a date (YYYY-MM-DD)")


def _write(output: Path, files: dict[str, str]) -> None:
    """Every file rendered first, then written, each atomically (nothing: no directory)."""
    if not files:
        return
    from erplan.output import write_atomic

    try:
        output.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            write_atomic(output / name, text)
    except OSError as exc:
        common.usage_failure(f"cannot write into {output}: {exc.strerror or exc}")


def _base(p: Plan) -> dict[str, Any]:
    from erplan.output import JSON_FORMAT_VERSION, counts

    return {
        "erplan": JSON_FORMAT_VERSION,
        "design": p.file,
        "mode": p.mode.value,
        "endpoint_catalog": p.catalog,
        "skipped": [{"site": s, "reason": why} for s, why in p.skipped],
        "summary": counts(p.findings),
        "findings": [f.to_dict() for f in p.findings],
    }


def _finish(p: Plan) -> None:
    from erplan.output import has_errors

    raise common.Exit(common.EXIT_FINDINGS if has_errors(p.findings) else common.EXIT_OK)


def _skipped_text(p: Plan, shown: int = 5) -> str:
    """The sites without a PAC file, by reason (a few names each)."""
    by: dict[str, list[str]] = {}
    for site, why in p.skipped:
        by.setdefault(why, []).append(site)
    out = []
    for why, sites in by.items():
        names = ", ".join(sites[:shown]) + (
            f" and {len(sites) - shown} more" if len(sites) > shown else ""
        )
        out.append(f"no PAC file for {names}: {why}\n")
    return "".join(out)


@common.app.command("pac")
def pac_command(
    design: Path = typer.Argument(..., help="The design file (YAML)."),
    site: list[str] | None = typer.Option(None, "--site", "-s", help=_SITE_HELP),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Directory to write <site>.pac into (made if missing)."
    ),
    mode: Mode = typer.Option(Mode.ALL, "--mode", help=_MODE_HELP),
    when: str | None = typer.Option(
        None, "--date", help="The date written in each header (YYYY-MM-DD). Default: today."
    ),
    fmt: common.Format = typer.Option(common.Format.TEXT, "--format", "-f", help="text or json."),
    endpoints: Path | None = typer.Option(None, "--endpoints", help=_ENDPOINTS_HELP),
) -> None:
    """Write a PAC file per site: DIRECT only for the names the site really reaches over
    ExpressRoute, everything else to its proxy (exit 1 on any error finding)."""
    if fmt is common.Format.SARIF:
        common.usage_failure("pac supports --format text or json")
    from erplan.generators.pac import file_stems, render_pac
    from erplan.output import dumps, render_text

    day = _date(when)
    p, _ = _plan(design, site, mode, endpoints)
    stems = file_stems(s.site for s in p.sites)
    texts = {s.site: render_pac(p, s, day) for s in p.sites}
    files = {f"{stems[name]}.pac": text for name, text in texts.items()}
    to_stdout = output is None and fmt is common.Format.TEXT
    if to_stdout and len(files) > 1:
        common.usage_failure(
            f"{len(files)} sites get a PAC file: give -o DIR, or one --site for standard output"
        )
    if output is not None:
        _write(output, files)
    if fmt is common.Format.JSON:
        doc = _base(p)
        doc["date"] = day
        doc["sites"] = [
            {
                "site": s.site,
                "file": str(output / f"{stems[s.site]}.pac") if output is not None else None,
                "proxy": s.proxy,
                "circuits": list(s.circuits),
                "direct": [n.pattern.text for n in s.names if n.direct],
                "proxy_first": [n.pattern.text for n in s.names if not n.direct and n.keep],
                "bytes": len(texts[s.site].encode()),
                "pac": None if output is not None else texts[s.site],
            }
            for s in p.sites
        ]
        sys.stdout.write(dumps(doc))
    elif to_stdout:
        sys.stdout.write("".join(files.values()))
        sys.stderr.write(_skipped_text(p) + render_text(p.findings))
    else:
        assert output is not None
        for s in p.sites:
            n = sum(1 for x in s.names if x.direct)
            sys.stdout.write(
                f"{output / (stems[s.site] + '.pac')}: site {s.site}, {n} names DIRECT "
                f"(circuits: {', '.join(s.circuits) or 'none'}), the rest {s.proxy}\n"
            )
        sys.stdout.write(_skipped_text(p) + render_text(p.findings))
    _finish(p)


def _lists_json(all_lists: list[SiteLists], files: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [
        {
            "site": sl.site,
            "bypass": sl.bypass,
            "pac_only": sl.pac_only,
            "paths": {
                path: {
                    "devices": list(pl.devices),
                    "fqdn": sorted(pl.fqdns),
                    "ipv4": [str(x) for x in sorted(pl.ipv4)],
                }
                for path, pl in sl.paths.items()
            },
            "files": files.get(sl.site, []),
        }
        for sl in all_lists
    ]


@common.app.command("lists")
def lists_command(
    design: Path = typer.Argument(..., help="The design file (YAML)."),
    site: list[str] | None = typer.Option(None, "--site", "-s", help=_SITE_HELP),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Directory for <site>.bypass.txt, <site>.<path>.fqdn.txt / .ipv4.txt and "
        "<site>.lists.csv. Default: the CSV on standard output.",
    ),
    mode: Mode = typer.Option(Mode.ALL, "--mode", help=_MODE_HELP),
    fmt: common.Format = typer.Option(common.Format.TEXT, "--format", "-f", help="text or json."),
    endpoints: Path | None = typer.Option(None, "--endpoints", help=_ENDPOINTS_HELP),
) -> None:
    """Write, per site and path, the proxy bypass list and the firewall address lists that match
    its PAC file's decisions (exit 1 on any error finding)."""
    if fmt is common.Format.SARIF:
        common.usage_failure("lists supports --format text or json")
    from erplan.generators.lists import path_files, render_csv, render_lines, site_lists
    from erplan.generators.pac import file_stems
    from erplan.output import dumps, render_text

    p, _ = _plan(design, site, mode, endpoints)
    stems = file_stems(s.site for s in p.sites)
    all_lists = [site_lists(p, s) for s in p.sites]
    files: dict[str, str] = {}
    written: dict[str, list[str]] = {}
    for sl in all_lists:
        stem = stems[sl.site]
        mine = {f"{stem}.bypass.txt": render_lines(sl.bypass), f"{stem}.lists.csv": render_csv(sl)}
        mine.update({f"{stem}.{k}": v for k, v in path_files(sl).items()})
        files.update(mine)
        written[sl.site] = [str(output / k) for k in mine] if output is not None else []
    if output is not None:
        _write(output, files)
    if fmt is common.Format.JSON:
        doc = _base(p)
        doc["sites"] = _lists_json(all_lists, written)
        sys.stdout.write(dumps(doc))
    elif output is None:
        csv_text = "".join(
            render_csv(sl) if i == 0 else render_csv(sl).split("\n", 1)[1]
            for i, sl in enumerate(all_lists)
        )
        sys.stdout.write(csv_text)
        sys.stderr.write(_skipped_text(p) + render_text(p.findings))
    else:
        for sl in all_lists:
            paths = ", ".join(sl.paths) or "none"
            sys.stdout.write(
                f"site {sl.site}: {len(sl.bypass)} bypass names ({len(sl.pac_only)} left to the "
                f"PAC file), paths {paths}: {len(written[sl.site])} files in {output}\n"
            )
        sys.stdout.write(_skipped_text(p) + render_text(p.findings))
    _finish(p)
