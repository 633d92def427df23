"""`erplan endpoints fetch` (download Microsoft's endpoints as Microsoft asks), `erplan
endpoints diff` (what changed, and what changed for ExpressRoute) and `erplan endpoints
dynamics` (a design's Dynamics 365 prefixes from an Azure service-tag download)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from erplan.cli import common
from erplan.cli.commands_catalog import cell

if TYPE_CHECKING:
    from erplan.catalogs import EndpointsDiff, EndpointSet, SetChange
    from erplan.catalogs.diff import ExpressRouteChanges
    from erplan.catalogs.feed import FetchResult

endpoints_app = typer.Typer(
    name="endpoints",
    help="Microsoft 365 endpoints (IP Address and URL web service): fetch a download, diff two; "
    "Dynamics 365 prefixes from a service-tag download.",
    no_args_is_help=True,
    add_completion=False,
)
common.app.add_typer(endpoints_app, name="endpoints")


# -- the ExpressRoute section, shared by diff and fetch ----------------------------------------
def expressroute_lines(er: ExpressRouteChanges) -> list[str]:
    """What changed for ExpressRoute, one fact per line, with the guide's effective-date note."""
    from erplan.catalogs.diff import EFFECTIVE_DATE_NOTE

    if er.empty:
        return [
            "For ExpressRoute: nothing changed (no set became or stopped being "
            "ExpressRoute-able, no prefix of an ExpressRoute-able set changed)."
        ]
    lines = ["For ExpressRoute:"]
    for title, sets in (
        ("became ExpressRoute-able", er.became),
        ("stopped being ExpressRoute-able", er.stopped),
    ):
        for s in sets:
            nets = [str(n) for n in (*s.ips, *s.ipv6)]
            lines.append(
                f"  set {s.id} ({cell(s.service_area)}, {cell(s.category)}, community "
                f"{s.community or '-'}) {title}: {cell(nets) or 'no prefixes'}"
            )
    for sign, prefixes in (("+", er.prefixes_added), ("-", er.prefixes_removed)):
        for p in prefixes:
            when = f" (effective {p.effective})" if p.effective else ""
            lines.append(
                f"  {sign} {p.prefix} in set {p.set_id} ({cell(p.service_area)}, community "
                f"{p.community or '-'}){when}"
            )
    lines.append("  Review route filters, PAC files and firewall rules for these sets.")
    lines.append(f"  {EFFECTIVE_DATE_NOTE}")
    return lines


# -- erplan endpoints diff ----------------------------------------------------------------------
def _set_summary(s: EndpointSet) -> list[str]:
    return [
        str(s.id),
        cell(s.service_area),
        cell(s.category),
        "yes" if s.express_route else "no",
        cell([str(n) for n in s.ips]),
        cell(list(s.urls)),
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
                (cell(list(change.old)), cell(list(change.new)))
                if isinstance(change.old, tuple)
                else (cell(change.old), cell(change.new))
            )
            lines.append(f"{label}: {old} → {new}")
    listed: list[tuple[str, tuple[str, ...]]] = [
        ("+ ip", c.ips_added),
        ("- ip", c.ips_removed),
        ("+ url", c.urls_added),
        ("- url", c.urls_removed),
    ]
    for label, values in listed:
        lines.extend(f"{label} {cell(v)}" for v in values)
    return lines


def _render_diff(diff: EndpointsDiff, er: ExpressRouteChanges, old: str, new: str) -> str:
    from rich.table import Table
    from rich.text import Text

    if diff.empty:
        return f"No differences between {old} and {new}.\n"
    parts: list[Any] = []
    head = ("id", "service area", "category", "ExpressRoute", "ips", "urls")
    for title, sets in (("Added sets", diff.added), ("Removed sets", diff.removed)):
        if not sets:
            continue
        table = Table(title=f"{title} ({len(sets)})", title_justify="left")
        for h in head:
            table.add_column(h, overflow="fold")
        for s in sets:
            table.add_row(*map(Text, _set_summary(s)))
        parts.append(table)
    if diff.changed:
        table = Table(title=f"Changed sets ({len(diff.changed)})", title_justify="left")
        table.add_column("id")
        table.add_column("service area")
        table.add_column("changes", overflow="fold")
        for c in diff.changed:
            table.add_row(
                Text(str(c.id)), Text(cell(c.service_area)), Text("\n".join(_change_lines(c)))
            )
        parts.append(table)
    return common.render_rich(*parts) + "\n".join(expressroute_lines(er)) + "\n"


@endpoints_app.command("diff")
def endpoints_diff(
    old: Path = typer.Argument(..., help="The older endpoint catalog (web-service JSON)."),
    new: Path = typer.Argument(..., help="The newer endpoint catalog (web-service JSON)."),
    fmt: common.Format = common.format_option(common.DATA_FORMATS),
    output: Path | None = common.output_option("differences"),
) -> None:
    """Show what changed between two endpoint catalogs, and what changed for ExpressRoute."""
    from erplan.catalogs import diff_endpoints
    from erplan.catalogs.diff import expressroute_changes
    from erplan.catalogs.endpoints import read_endpoints_file
    from erplan.diagnostics import InputError
    from erplan.output import dumps

    common.check_format(fmt, common.DATA_FORMATS, "endpoints diff")
    common.check_output_or_exit(output, [old, new])
    try:
        before, after = read_endpoints_file(old), read_endpoints_file(new)
    except InputError as err:
        common.input_failure(err)
    diff = diff_endpoints(before.sets, after.sets)
    er = expressroute_changes(before.sets, after.sets, after.changes)
    if fmt is common.Format.JSON:
        document = {
            "old": str(old),
            "new": str(new),
            "old_version": before.version,
            "new_version": after.version,
            **diff.to_dict(),
            "expressroute": er.to_dict(),
        }
        text = dumps(document)
    else:
        text = _render_diff(diff, er, str(old), str(new))
    common.emit(text, fmt, output, [old, new])


# -- erplan endpoints fetch ---------------------------------------------------------------------
def _fetch_text(r: FetchResult) -> str:
    if not r.written:
        when = "checked just now" if r.checked else "as of the last check, less than an hour ago"
        return (
            f"{r.output}: {r.instance} endpoints unchanged since the last download "
            f"(version {r.version}, {when}); nothing written.\n"
        )
    er_sets = sum(1 for s in r.sets if s.express_route)
    lines = [
        f"{r.output}: {r.instance} endpoints version {r.version} written "
        f"({len(r.sets)} sets, {er_sets} ExpressRoute-able).",
    ]
    if r.previous_version is None:
        lines.append("First download here: no earlier version to compare with.")
    else:
        lines.append(f"Changed since the last download (version {r.previous_version}).")
        if r.expressroute is not None:
            lines.extend(expressroute_lines(r.expressroute))
    return "\n".join(lines) + "\n"


@endpoints_app.command("fetch")
def endpoints_fetch(
    output: Path = typer.Option(
        ..., "--output", "-o", help="The download to write (or bring up to date)."
    ),
    instance: str = typer.Option(
        "Worldwide", "--instance", help="Worldwide, USGovDoD, USGovGCCHigh or China."
    ),
    tenant: str | None = typer.Option(None, "--tenant", help="Tenant name, e.g. contoso."),
    service_areas: list[str] = typer.Option(
        [],
        "--service-areas",
        help="Exchange, SharePoint, Skype or Common (comma-separated or repeated; Common is "
        "always included). Default: all.",
    ),
    base_url: str = typer.Option(
        "https://endpoints.office.com", "--base-url", help="The web service's address."
    ),
    fmt: common.Format = common.format_option(common.DATA_FORMATS),
) -> None:
    """Download Microsoft's endpoints as Microsoft asks: version checked at most hourly, the
    endpoints fetched only when it changed, one ClientRequestId kept in FILE.fetch-state.json;
    says what changed since the last download, and what changed for ExpressRoute."""
    from erplan.catalogs.feed import FeedError, canonical_service_areas, fetch
    from erplan.diagnostics import InputError
    from erplan.output import dumps

    common.check_format(fmt, common.DATA_FORMATS, "endpoints fetch")
    common.check_output_or_exit(output)
    try:
        result = fetch(
            output,
            instance=instance,
            tenant=tenant,
            service_areas=canonical_service_areas(service_areas),
            base_url=base_url,
        )
    except FeedError as exc:
        common.usage_failure(f"endpoints fetch: {exc}")
    except InputError as err:
        common.input_failure(err)
    text = dumps(result.to_dict()) if fmt is common.Format.JSON else _fetch_text(result)
    common.emit(text, fmt)


# -- erplan endpoints dynamics ------------------------------------------------------------------
@endpoints_app.command("dynamics")
def endpoints_dynamics(
    service_tags: Path = typer.Argument(
        ..., help="An Azure service-tag download (ServiceTags_Public_*.json)."
    ),
    region: list[str] = typer.Option(
        ..., "--region", help="An Azure region hosting the tenant's Dynamics 365 (repeatable)."
    ),
    tag: str = typer.Option(
        "AzureCloud", "--tag", help="The service tag whose <tag>.<region> prefixes to take."
    ),
    fmt: common.Format = common.format_option(common.DATA_FORMATS),
    output: Path | None = common.output_option("fragment"),
) -> None:
    """Print the `tenant.dynamics` fragment of a design: each region's prefixes, from a
    service-tag download (Microsoft's endpoint web service publishes none for Dynamics 365)."""
    from erplan.catalogs import load_catalogs
    from erplan.catalogs.service_tags import read_service_tags
    from erplan.diagnostics import InputError
    from erplan.names import did_you_mean
    from erplan.output import dumps

    common.check_format(fmt, common.DATA_FORMATS, "endpoints dynamics")
    common.check_output_or_exit(output, [service_tags])
    if not re.fullmatch(r"[A-Za-z0-9]{1,64}", tag):  # written into the fragment
        common.usage_failure(f"--tag {tag!r}: a service tag is letters and digits")
    catalogs = load_catalogs()
    known = [r.region for r in catalogs.dynamics_regions]
    regions: list[str] = []
    for r in region:
        entry = catalogs.dynamics_region(r)
        if entry is None:
            common.usage_failure(
                f"unknown Dynamics 365 region {r!r}"
                + (did_you_mean(r, known) or " (see `erplan catalog dynamics`)")
            )
        regions.append(entry.region)
    try:
        tags = read_service_tags(service_tags)
    except InputError as err:
        common.input_failure(err)
    found: dict[str, list[str]] = {}
    for r in dict.fromkeys(regions):
        prefixes = tags.prefixes(tag, r.replace(" ", ""))
        if prefixes is None:
            common.usage_failure(f"the download has no tag {tag!r} for region {r!r}")
        found[r] = [str(p) for p in prefixes]
    if fmt is common.Format.JSON:
        text = dumps({"tenant": {"dynamics": {r: {"prefixes": p} for r, p in found.items()}}})
    else:
        change = tags.change_number if tags.change_number is not None else "unknown"
        lines = [
            f"# tenant.dynamics from a service-tag download (change number {change}), "
            f"tag {tag}.<region>",
            "tenant:",
            "  dynamics:",
        ]
        for r, p in found.items():
            lines += [f"    {r}:", f"      prefixes: [{', '.join(p)}]"]
        text = "\n".join(lines) + "\n"
    common.emit(text, fmt, output, [service_tags])
