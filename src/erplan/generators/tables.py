"""Guide 001's connection-property tables ("Catalog your outbound and inbound network traffic"):
one per service and direction, filled from the traced flows — the edges they leave or enter by,
the devices they cross, the translations they meet — and from the design's facts (pools,
advertisements), as Markdown, CSV and XLSX.

Cells carry design and catalog text: escaped for Markdown, never a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Network

from erplan import facts, facts_edges
from erplan.analyses.verdicts import FlowResult, Report
from erplan.catalogs import Catalogs
from erplan.engine import Direction, Engine, Flow, Path
from erplan.engine.trace import device_at, edge_owner
from erplan.generators.safe import markdown_cell, spreadsheet_cell
from erplan.model import Design, ProxyMode

PROPERTY = "Connection property"
VALUE = "Value"


@dataclass(frozen=True)
class Table:
    direction: str
    service: str
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # property, lines of its value

    @property
    def title(self) -> str:
        return f"{self.direction}: {self.service}"

    def value(self, prop: str) -> tuple[str, ...]:
        for p, v in self.rows:
            if p == prop:
                return v
        raise KeyError(prop)


def _and(items: Iterable[str]) -> str:
    xs = list(dict.fromkeys(items))
    return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1] if xs else "none"


def _edge_name(edge: str) -> tuple[str, str]:
    """``circuit:C/primary`` -> ("circuit", "C"); ``breakout:B`` -> ("breakout", "B")."""
    kind, _, rest = (edge_owner(edge) or edge).partition(":")
    return kind, rest


def _devices(path: Path) -> list[str]:
    return [device_at(h.node)[0] for h in path.hops if h.node.startswith("device:")]


@dataclass
class _Paths:
    """What the traced flows of one table show, by path kind (internet / ExpressRoute)."""

    circuits: dict[str, None] = field(default_factory=dict)
    breakouts: dict[str, None] = field(default_factory=dict)
    devices: dict[str, dict[str, None]] = field(
        default_factory=lambda: {"internet": {}, "expressroute": {}}
    )
    proxied: dict[str, set[bool]] = field(
        default_factory=lambda: {"internet": set(), "expressroute": set()}
    )
    translated: set[bool] = field(default_factory=set)
    verdicts: dict[str, int] = field(default_factory=dict)
    results: list[FlowResult] = field(default_factory=list)

    def add(self, result: FlowResult, *, inbound: bool) -> None:
        self.results.append(result)
        self.verdicts[result.verdict.value] = self.verdicts.get(result.verdict.value, 0) + 1
        for b in result.trace.branches:
            if b.weight <= 0 or b.forward.edge is None:
                continue
            kind, name = _edge_name(b.forward.edge)
            path = "expressroute" if kind == "circuit" else "internet"
            (self.circuits if kind == "circuit" else self.breakouts)[name] = None
            # Controls on the way back count too: a reply may meet others than its request.
            for d in [*_devices(b.forward), *(_devices(b.back) if b.back is not None else [])]:
                self.devices[path][d] = None
            self.proxied[path].add(result.flow.proxy is not None)
            if not inbound:
                self.translated.add(any(h.src_before is not None for h in b.forward.hops))


def _ha_circuits(design: Design, circuits: list[str], mode: str) -> str:
    where = [design.circuits[c].peering_location for c in circuits]
    geo = " geo-redundant" if len(set(where)) > 1 else ""
    if len(circuits) == 1:
        return f"single ExpressRoute circuit - {where[0]}"
    return f"{mode} across {len(circuits)}{geo} ExpressRoute circuits - {_and(where)}"


def _outbound(
    engine: Engine, catalogs: Catalogs, area: str, results: list[tuple[FlowResult, list[Flow]]]
) -> Table:
    design = engine.design
    record = catalogs.service_for_area(area)
    service = record.name if record is not None else area
    paths = _Paths()
    sets: dict[int, None] = {}
    sources: dict[str, None] = {}
    for r, flows in results:
        paths.add(r, inbound=False)
        for f in flows:
            if f.endpoint_set is not None:
                sets[f.endpoint_set] = None
            sources["User workstation" if f.kind == "users" else f"server {f.origin}"] = None
    es_all = [es for i in sorted(sets) if (es := catalogs.endpoint_set(i)) is not None]
    with_ips = [u for es in es_all if es.ips for u in es.urls]
    others = [u for es in es_all if not es.ips for u in es.urls]
    nat: list[str] = []
    for b in paths.breakouts:
        nat.append(f"Internet path/Source NAT: {_and(str(n) for n in design.breakouts[b].nat)}")
    er: list[str] = []
    for c in paths.circuits:
        pools = [str(p) for _, p, _ in facts.pools(design, c)] or ["none (clients' addresses)"]
        er.append(f"{' and '.join(pools)} ({design.circuits[c].peering_location})")
    if er:
        nat.append(f"ExpressRoute path/Source NAT: {_and(er)}")
    method: list[str] = []
    for path, label in (("internet", "Internet"), ("expressroute", "ExpressRoute")):
        proxied = paths.proxied[path]
        if not proxied:
            continue
        modes = {
            design.sites[f.origin].proxy.mode
            for _, flows in results
            for f in flows
            if f.proxy is not None and f.origin in design.sites
        }
        how = "via layer 7 proxy (.pac file)" if ProxyMode.PAC in modes else "via proxy"
        if proxied == {True}:
            method.append(f"{label}: {how}")
        elif proxied == {False}:
            method.append(f"{label}: direct routing (no proxy)")
        else:
            method.append(f"{label}: direct routing and {how}")
    ha: list[str] = []
    if paths.breakouts:
        n = len(paths.breakouts)
        kind = "Redundant internet egress" if n > 1 else "Single internet egress"
        ha.append(f"Internet path: {kind} - {_and(paths.breakouts)}")
    if paths.circuits:
        prefs = {design.circuits[c].local_preference for c in paths.circuits}
        mode = "Active/Active 'hot potato' routing" if len(prefs) == 1 else "Active/Active"
        # Only routes with a regional community (Dynamics 365) follow a per-region preference.
        tagged = {es.regional_community for es in es_all if es.express_route}
        if any(set(facts.region_preferences(design, catalogs, c)) & tagged for c in paths.circuits):
            mode = "Active/Active 'cold potato' routing (local preference per region)"
        ha.append(f"ExpressRoute path: {_ha_circuits(design, list(paths.circuits), mode)}")
    symmetry = (
        "Method: Source NAT for all connections"
        if paths.translated == {True}
        else "Method: none (sources keep their addresses)"
        if paths.translated == {False}
        else "Method: Source NAT for some connections"
    )
    rows: list[tuple[str, tuple[str, ...]]] = [
        ("Network traffic direction", ("Outbound",)),
        ("Service", (service,)),
        ("On-premises endpoint (source)", tuple(sources)),
        ("Public Microsoft 365 endpoint (destination)", (f"{service} (IP addresses)",)),
        ("Public (Internet) DNS entry", (", ".join(dict.fromkeys(with_ips)) or "none",)),
        (
            "CDN Referrals",
            (
                ", ".join(dict.fromkeys(others))
                + " - IP addresses not published by Microsoft (CDN providers), internet only"
                if others
                else "none",
            ),
        ),
        ("IP advertisement and NAT in use", tuple(nat)),
        ("Connectivity method", tuple(method)),
        ("Security/Perimeter Controls", _controls(engine, paths)),
        ("High Availability", tuple(ha)),
        ("Path symmetry control", (symmetry,)),
        ("erplan verdicts", (_verdicts(paths),)),
    ]
    return Table("Outbound", service, tuple(rows))


def _controls(engine: Engine, paths: _Paths) -> tuple[str, ...]:
    """The devices each kind of path crosses there and back; with what each is for when the
    design says so, and how the security policy fares on the traced paths when it has one."""
    design = engine.design
    stated = design.security is not None or any(
        d.purpose is not None for d in design.devices.values()
    )

    def named(device: str) -> str:
        dev = design.devices.get(device)
        if not stated or dev is None or not facts.purposes(dev):
            return device
        return f"{device} ({', '.join(sorted(p.value for p in facts.purposes(dev)))})"

    out = []
    for path, label in (("internet", "Internet"), ("expressroute", "ExpressRoute")):
        used = paths.breakouts if path == "internet" else paths.circuits
        if used:
            out.append(f"{label} path: {', '.join(map(named, paths.devices[path])) or 'none'}")
    if design.security is not None:
        out += _policy(engine, paths.results)
    return tuple(out)


def _policy(engine: Engine, results: list[FlowResult]) -> list[str]:
    from erplan.analyses.security import inspections

    seen: dict[tuple[str, str], tuple[frozenset[str], dict[str, float]]] = {}
    for ins in inspections(engine, results):
        key = ("ExpressRoute" if ins.kind == "expressroute" else "Internet", ins.direction.value)
        required, missing = seen.get(key, (frozenset(), {}))
        required = required | {p.value for p in ins.required}
        for p in ins.missing:
            missing[p.value] = max(missing.get(p.value, 0.0), ins.share)
        seen[key] = (required, missing)
    out = []
    for (label, direction), (required, missing) in seen.items():
        if not required:
            continue
        need = ", ".join(sorted(required))
        if missing:
            gaps = ", ".join(f"{p} ({share:.0%} of connections)" for p, share in missing.items())
            out.append(f"Policy, {label} {direction}: {need}; missing: {gaps}")
        else:
            out.append(f"Policy, {label} {direction}: {need}; met there and back")
    return out


def _verdicts(paths: _Paths) -> str:
    return ", ".join(f"{n} {v}" for v, n in sorted(paths.verdicts.items())) + " (flow groups)"


def _inbound(engine: Engine, catalogs: Catalogs, name: str, results: list[FlowResult]) -> Table:
    design = engine.design
    svc = design.services[name]
    record = catalogs.service(svc.initiator)
    initiator = record.name if record is not None else svc.initiator
    paths = _Paths()
    for r in results:
        paths.add(r, inbound=True)
    public = IPv4Network(svc.public_address)
    to_internet = [
        str(p)
        for b in design.breakouts
        for p in facts.internet_routes(design, b)
        if public.subnet_of(p)
    ]
    to_er: dict[str, list[str]] = {}
    for c in design.circuits:
        for p in facts.source_filter(design, c):
            if public.subnet_of(p):
                to_er.setdefault(str(p), []).append(design.circuits[c].peering_location)
    adverts = []
    if to_internet:
        adverts.append(f"To Internet: {_and(to_internet)}")
    if to_er:
        adverts.append("To ExpressRoute: " + _and(f"{p} ({_and(w)})" for p, w in to_er.items()))
    ha = []
    if paths.circuits:
        text = _ha_circuits(design, list(paths.circuits), "Active/Active")
        ha.append(text[:1].upper() + text[1:])
    if paths.breakouts:
        ha.append(f"Internet path: {_and(paths.breakouts)}")
    snat_internet = [
        str(q)
        for b in paths.breakouts
        if (q := facts_edges.inbound_pool(design, svc, b)) is not None
    ]
    snat_er = [
        f"{q} ({design.circuits[c].peering_location})"
        for c in paths.circuits
        if (q := facts_edges.inbound_pool(design, svc, c)) is not None
    ]
    symmetry = [
        "Method: Source NAT" if snat_internet or snat_er else "Method: none (no source NAT)"
    ]
    if snat_internet:
        symmetry.append(f"Internet path: Source NAT inbound connections to {_and(snat_internet)}")
    if snat_er:
        symmetry.append(f"ExpressRoute path: Source NAT connections to {_and(snat_er)}")
    internal = svc.internal_address or svc.public_address
    rows: list[tuple[str, tuple[str, ...]]] = [
        ("Network traffic direction", ("Inbound",)),
        ("Service", (name,)),
        ("Public Microsoft 365 endpoint (source)", (f"{initiator} (IP addresses)",)),
        ("Public On-Premises Endpoint (destination)", (str(svc.dns_record),)),
        ("Public (Internet) DNS entry", (svc.fqdn,)),
        (
            "Will this on-premises endpoint be used for by other (non-Microsoft 365) Microsoft "
            "services",
            ("Yes" if svc.used_by_other_microsoft_services else "No",),
        ),
        (
            "Will this on-premises endpoint be used by users/systems on the Internet",
            ("Yes" if svc.used_by_internet_users else "No",),
        ),
        (
            "Internal systems published through public endpoints",
            (f"{internal} (site {svc.site}), TCP {', '.join(map(str, svc.ports))}",),
        ),
        ("IP advertisement of the public endpoint", tuple(adverts) or ("none",)),
        ("Security/Perimeter Controls", _controls(engine, paths)),
        ("High Availability", tuple(ha)),
        ("Path symmetry control", tuple(symmetry)),
        ("erplan verdicts", (_verdicts(paths),)),
    ]
    return Table("Inbound", name, tuple(rows))


def connection_tables(design: Design, catalogs: Catalogs, report: Report) -> list[Table]:
    """Inbound tables (one per service), then outbound (one per service area), as traced."""
    catalogs = facts.tenant_catalogs(design, catalogs)  # the tenant's Dynamics 365 sets too
    inbound: dict[str, list[FlowResult]] = {}
    outbound: dict[str, dict[int, tuple[FlowResult, list[Flow]]]] = {}
    for i, r in enumerate(report.results):
        if r.flow.direction is Direction.INBOUND:
            inbound.setdefault(r.flow.origin, []).append(r)
            continue
        # A row groups flows that share a trace, whatever their service area.
        for f in r.flows:
            es = catalogs.endpoint_set(f.endpoint_set) if f.endpoint_set is not None else None
            if f.direction is Direction.OUTBOUND and es is not None:
                outbound.setdefault(es.service_area, {}).setdefault(i, (r, []))[1].append(f)
    engine = report.engine
    out = [_inbound(engine, catalogs, n, inbound[n]) for n in design.services if n in inbound]
    out += [_outbound(engine, catalogs, a, list(outbound[a].values())) for a in sorted(outbound)]
    return out


def render_markdown(tables: list[Table], design_file: str) -> str:
    out = [f"# Connection properties: {markdown_cell(design_file)}", ""]
    out.append(
        'One table per service and direction, in the form of guide 001 ("Catalog your outbound '
        'and inbound network traffic"), filled from the flows erplan traced.'
    )
    for t in tables:
        out += ["", f"## {markdown_cell(t.title)}", "", f"| {PROPERTY} | {VALUE} |", "|---|---|"]
        for prop, lines in t.rows:
            out.append(
                f"| {markdown_cell(prop)} | {'<br>'.join(markdown_cell(x) for x in lines)} |"
            )
    return "\n".join(out) + "\n"


def render_csv(tables: list[Table]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Table", PROPERTY, VALUE])
    for t in tables:
        for prop, lines in t.rows:
            w.writerow([spreadsheet_cell(x) for x in (t.title, prop, "\n".join(lines))])
    return buf.getvalue()


def render_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table; every cell a string (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    for i, t in enumerate(tables, start=1):
        ws = wb.create_sheet(f"{i} {t.direction}")
        ws.append([spreadsheet_cell(t.title)])
        ws["A1"].font = Font(bold=True)
        ws.append([PROPERTY, VALUE])
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for prop, lines in t.rows:
            ws.append([spreadsheet_cell(prop), spreadsheet_cell("\n".join(lines))])
            for cell in ws[ws.max_row]:
                cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions["A"].width = 48
        ws.column_dimensions["B"].width = 90
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
