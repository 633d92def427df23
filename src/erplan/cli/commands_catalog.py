"""`erplan catalog`: the shipped catalogs (peering locations, places, front ends, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from erplan.cli import common
from erplan.untrusted import escape_text

if TYPE_CHECKING:
    from erplan.catalogs import Catalogs


class CatalogName(StrEnum):
    PEERING_LOCATIONS = "peering-locations"
    PLACES = "places"
    FRONT_ENDS = "front-ends"
    GEOGRAPHIES = "geographies"
    SERVICES = "services"
    REGIONAL_COMMUNITIES = "regional-communities"
    DYNAMICS = "dynamics"
    ENDPOINTS = "endpoints"


def rows(cat: Catalogs, which: CatalogName) -> list[dict[str, Any]]:
    if which is CatalogName.DYNAMICS:
        return [_dynamics_row(cat, r.region) for r in cat.dynamics_regions]
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


def cell(value: Any) -> str:
    """A value as one table cell: lists shortened, escaped for a terminal (a download's
    notes or URLs are untrusted text)."""
    if isinstance(value, bool):
        shown = "yes" if value else "no"
    elif isinstance(value, list):
        shown = ", ".join(str(v) for v in value[:4])
        shown += f", … (+{len(value) - 4})" if len(value) > 4 else ""
    else:
        shown = "" if value is None else str(value)
    return escape_text(shown)


# Columns shown in text form (JSON has every field).
_TEXT_COLUMNS: dict[CatalogName, tuple[str, ...]] = {
    CatalogName.PEERING_LOCATIONS: ("name", "region", "country", "lat", "lon"),
    CatalogName.PLACES: ("name", "country", "region", "lat", "lon"),
    CatalogName.FRONT_ENDS: ("name", "region", "geography", "lat", "lon"),
    CatalogName.GEOGRAPHIES: ("name", "aliases", "home_front_end"),
    CatalogName.SERVICES: ("name", "community", "aliases", "service_area", "authorization"),
    CatalogName.REGIONAL_COMMUNITIES: ("region", "community"),
    CatalogName.DYNAMICS: ("id", "region", "geography", "community", "regional_community", "urls"),
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


def _dynamics_row(cat: Catalogs, region: str) -> dict[str, Any]:
    """A Dynamics 365 region with the communities its prefixes carry (the prefixes themselves
    come from a design: Microsoft's endpoint web service publishes none)."""
    entry = cat.dynamics_region(region)
    es = cat.dynamics_set(region)
    assert entry is not None and es is not None
    return {
        **entry.to_dict(),
        "community": es.community,
        "regional_community": es.regional_community,
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
    fmt: common.Format = common.format_option(common.DATA_FORMATS),
    output: Path | None = common.output_option("listing"),
    endpoints: Path | None = common.endpoints_option(),
) -> None:
    """List the shipped catalogs (peering locations, places, front ends, services, ...)."""
    from rich.table import Table
    from rich.text import Text

    from erplan.output import dumps

    common.check_format(fmt, common.DATA_FORMATS, "catalog")
    common.check_output_or_exit(output, [endpoints])
    cat = common.load_catalogs_or_exit(endpoints)
    if which is None:
        counts = {name.value: len(rows(cat, name)) for name in CatalogName}
        if fmt is common.Format.JSON:
            text = dumps({"catalogs": counts, "endpoints_source": cat.endpoints_source})
        else:
            table = Table(title="erplan catalogs", title_justify="left")
            table.add_column("catalog")
            table.add_column("entries", justify="right")
            for name, count in counts.items():
                table.add_row(name, str(count))
            text = common.render_rich(
                table,
                Text(f"endpoint sets: {cell(cat.endpoints_source)}; see `erplan catalog NAME`"),
            )
        common.emit(text, fmt, output, [endpoints])
        return
    listed = rows(cat, which)
    if fmt is common.Format.JSON:
        text = dumps({"catalog": which.value, "count": len(listed), "items": listed})
    else:
        columns = _TEXT_COLUMNS[which]
        table = Table(title=f"{which.value} ({len(listed)})", title_justify="left")
        for column in columns:
            table.add_column(column.replace("_", " "), overflow="fold")
        for row in listed:
            if which is CatalogName.ENDPOINTS:
                row = _endpoint_text_row(row)
            table.add_row(*(Text(cell(row[c])) for c in columns))
        text = common.render_rich(table)
    common.emit(text, fmt, output, [endpoints])
