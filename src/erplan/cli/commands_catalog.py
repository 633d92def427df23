"""`erplan catalog` (list the shipped catalogs) and `erplan endpoints diff` (what changed)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from erplan.catalogs import (
    Catalogs,
    EndpointsDiff,
    EndpointSet,
    SetChange,
    diff_endpoints,
    load_catalogs,
    read_endpoints,
)
from erplan.cli import common
from erplan.diagnostics import InputError


class CatalogName(StrEnum):
    PEERING_LOCATIONS = "peering-locations"
    PLACES = "places"
    FRONT_ENDS = "front-ends"
    GEOGRAPHIES = "geographies"
    SERVICES = "services"
    REGIONAL_COMMUNITIES = "regional-communities"
    ENDPOINTS = "endpoints"


endpoints_app = typer.Typer(
    name="endpoints",
    help="Work with Microsoft 365 endpoint catalogs (IP Address and URL web-service format).",
    no_args_is_help=True,
    add_completion=False,
)
common.app.add_typer(endpoints_app, name="endpoints")


def _text_or_json(fmt: common.Format) -> None:
    if fmt is common.Format.SARIF:
        common.usage_failure("--format sarif is for findings; use text or json here")


def _write_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


# -- erplan catalog ---------------------------------------------------------------------------
def _rows(cat: Catalogs, which: CatalogName) -> list[dict[str, Any]]:
    items: Sequence[Any] = {
        CatalogName.PEERING_LOCATIONS: cat.peering_locations,
        CatalogName.PLACES: cat.places,
        CatalogName.FRONT_ENDS: cat.front_ends,
        CatalogName.GEOGRAPHIES: cat.geographies,
        CatalogName.SERVICES: cat.services,
        CatalogName.REGIONAL_COMMUNITIES: cat.regional_communities,
        CatalogName.ENDPOINTS: cat.endpoint_sets,
    }[which]
    return [item.to_dict() for item in items]


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        shown = ", ".join(str(v) for v in value[:4])
        return shown + (f", … (+{len(value) - 4})" if len(value) > 4 else "")
    return "" if value is None else str(value)


# Columns shown in text form (JSON has every field).
_TEXT_COLUMNS: dict[CatalogName, tuple[str, ...]] = {
    CatalogName.PEERING_LOCATIONS: ("name", "region", "country", "lat", "lon"),
    CatalogName.PLACES: ("name", "country", "region", "lat", "lon"),
    CatalogName.FRONT_ENDS: ("name", "region", "geography", "lat", "lon"),
    CatalogName.GEOGRAPHIES: ("name", "aliases", "home_front_end"),
    CatalogName.SERVICES: ("name", "community", "aliases", "service_area", "authorization"),
    CatalogName.REGIONAL_COMMUNITIES: ("region", "community"),
    CatalogName.ENDPOINTS: (
        "id",
        "service_area",
        "category",
        "required",
        "express_route",
        "community",
        "prefixes",
        "urls",
    ),
}


def _endpoint_text_row(row: dict[str, Any]) -> dict[str, Any]:
    """Endpoint sets are long: count the prefixes and show the first URLs (JSON has all)."""
    urls: list[str] = row["urls"]
    shown = ", ".join(urls[:2]) + (f" (+{len(urls) - 2})" if len(urls) > 2 else "")
    return {**row, "prefixes": len(row["ips"]) + len(row["ipv6"]), "urls": shown}


@common.app.command("catalog")
def catalog(
    which: CatalogName | None = typer.Argument(
        None, help="The catalog to list. Without it: what each catalog holds."
    ),
    fmt: common.Format = typer.Option(common.Format.TEXT, "--format", "-f", help="text or json."),
    endpoints: Path | None = typer.Option(
        None,
        "--endpoints",
        help="A fresh download of the endpoint web service to use instead of the shipped one.",
    ),
) -> None:
    """List the shipped catalogs (peering locations, places, front ends, services, ...)."""
    _text_or_json(fmt)
    try:
        cat = load_catalogs(endpoints)
    except InputError as err:
        common.input_failure(err)
    if which is None:
        counts = {name.value: len(_rows(cat, name)) for name in CatalogName}
        if fmt is common.Format.JSON:
            _write_json({"catalogs": counts, "endpoints_source": cat.endpoints_source})
            return
        table = Table(title="erplan catalogs", title_justify="left")
        table.add_column("catalog")
        table.add_column("entries", justify="right")
        for name, count in counts.items():
            table.add_row(name, str(count))
        out = common.stdout()
        out.print(table)
        out.print(f"endpoint sets: {cat.endpoints_source}; see `erplan catalog NAME`", markup=False)
        return
    rows = _rows(cat, which)
    if fmt is common.Format.JSON:
        _write_json({"catalog": which.value, "count": len(rows), "items": rows})
        return
    columns = _TEXT_COLUMNS[which]
    table = Table(title=f"{which.value} ({len(rows)})", title_justify="left")
    for column in columns:
        table.add_column(column.replace("_", " "), overflow="fold")
    for row in rows:
        if which is CatalogName.ENDPOINTS:
            row = _endpoint_text_row(row)
        table.add_row(*(Text(_cell(row[c])) for c in columns))
    common.stdout().print(table)


# -- erplan endpoints diff --------------------------------------------------------------------
def _set_summary(s: EndpointSet) -> list[str]:
    return [
        str(s.id),
        s.service_area,
        s.category,
        "yes" if s.express_route else "no",
        _cell([str(n) for n in s.ips]),
        _cell(list(s.urls)),
    ]


def _change_lines(c: SetChange) -> list[str]:
    lines: list[str] = []
    labelled: list[tuple[str, Any]] = [
        ("expressRoute", c.express_route),
        ("category", c.category),
        ("required", c.required),
        ("serviceArea", c.service_area_change),
        ("tcpPorts", c.tcp_ports),
        ("udpPorts", c.udp_ports),
    ]
    for label, change in labelled:
        if change is not None:
            old, new = (
                (_cell(list(change.old)), _cell(list(change.new)))
                if isinstance(change.old, tuple)
                else (_cell(change.old), _cell(change.new))
            )
            lines.append(f"{label}: {old} → {new}")
    listed: list[tuple[str, tuple[str, ...]]] = [
        ("+ ip", c.ips_added),
        ("- ip", c.ips_removed),
        ("+ url", c.urls_added),
        ("- url", c.urls_removed),
    ]
    for label, values in listed:
        lines.extend(f"{label} {v}" for v in values)
    return lines


def _render_diff(diff: EndpointsDiff, old: Path, new: Path) -> None:
    out = common.stdout()
    if diff.empty:
        out.print(f"No differences between {old} and {new}.", markup=False)
        return
    head = ("id", "service area", "category", "ExpressRoute", "ips", "urls")
    for title, sets in (("Added sets", diff.added), ("Removed sets", diff.removed)):
        if not sets:
            continue
        table = Table(title=f"{title} ({len(sets)})", title_justify="left")
        for h in head:
            table.add_column(h, overflow="fold")
        for s in sets:
            table.add_row(*map(Text, _set_summary(s)))
        out.print(table)
    if diff.changed:
        table = Table(title=f"Changed sets ({len(diff.changed)})", title_justify="left")
        table.add_column("id")
        table.add_column("service area")
        table.add_column("changes", overflow="fold")
        for c in diff.changed:
            table.add_row(Text(str(c.id)), Text(c.service_area), Text("\n".join(_change_lines(c))))
        out.print(table)
    if diff.expressroute_affected:
        out.print(
            "ExpressRoute-relevant changes: review route filters, PAC files and "
            "firewall rules (endpoints change as often as weekly)."
        )


def _load(path: Path) -> tuple[EndpointSet, ...]:
    try:
        return read_endpoints(path)
    except InputError as err:
        common.input_failure(err)


@endpoints_app.command("diff")
def endpoints_diff(
    old: Path = typer.Argument(..., help="The older endpoint catalog (web-service JSON)."),
    new: Path = typer.Argument(..., help="The newer endpoint catalog (web-service JSON)."),
    fmt: common.Format = typer.Option(common.Format.TEXT, "--format", "-f", help="text or json."),
) -> None:
    """Show what changed between two endpoint catalogs (sets, flags, prefixes, URLs)."""
    _text_or_json(fmt)
    before, after = _load(old), _load(new)
    diff = diff_endpoints(before, after)
    if fmt is common.Format.JSON:
        _write_json({"old": str(old), "new": str(new), **diff.to_dict()})
        return
    _render_diff(diff, old, new)
