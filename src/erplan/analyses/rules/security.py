"""ERP73x: security placement and the circuit's connectivity model (guide 001 'Applying
security controls to Azure ExpressRoute for Microsoft 365 scenarios'; guide 000 §5.1).

The path rules read the engine's traced paths, there and back (``erplan.analyses.security``):
a control counts for a connection only where its packets reach it. They trace the design only
when it states something they check (a security policy, IPVPN egress sites, TLS inspection),
and read each row as it is judged (``PathRows``): no row nor its trace is held for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from erplan.analyses.rules.registry import Context, Hit, Path, rule
from erplan.analyses.security import (
    EXPRESSROUTE,
    INTERNET,
    Controls,
    devices_on,
    edge_of,
    inspect_row,
    policy_for,
)
from erplan.analyses.verdicts import FlowResult, Verdicts
from erplan.catalogs import Catalogs
from erplan.diagnostics import Severity
from erplan.engine import Direction, Engine, Flow
from erplan.facts import duty
from erplan.model import (
    Circuit,
    Connectivity,
    Design,
    DeviceKind,
    Duty,
    Inspects,
    Party,
    Purpose,
)

_SECURE_SOURCE = (
    "guide 001 'Plan your bandwidth, security, high availability, and failover' (\"all "
    "ExpressRoute connections to Microsoft 365 use public peering and must still be secured in "
    'accordance with your company security policies of connecting to external networks") and '
    "'Applying security controls to Azure ExpressRoute for Microsoft 365 scenarios'"
)


def _ipvpn_egresses(d: Design) -> dict[str, Circuit]:
    """The IPVPN circuits whose listed sites hand their traffic to the provider themselves."""
    return {
        n: c
        for n, c in d.circuits.items()
        if c.connectivity is Connectivity.IPVPN and c.ipvpn_sites
    }


def _tls_inspecting(d: Design) -> set[str]:
    return {n for n, dev in d.devices.items() if dev.ssl_inspection}


def reads_traces(d: Design) -> bool:
    """Whether a path rule reads the design's traced rows: only when the design states
    something they check (a security policy, IPVPN egress sites, TLS inspection)."""
    return d.security is not None or bool(_ipvpn_egresses(d)) or bool(_tls_inspecting(d))


def _origin(flow: Flow) -> tuple[str | int, ...]:
    if flow.direction is Direction.INBOUND:
        return ("services", flow.origin)
    return ("servers", flow.origin) if flow.kind == "server" else ("sites", flow.origin)


def _who(ctx: Context, flow: Flow, share: float) -> str:
    if flow.direction is Direction.INBOUND:
        who = "internet users" if flow.kind == "internet" else f"{flow.kind} ({flow.front_end})"
        return f"connections from {who} to service {flow.origin} ({flow.fqdn})"
    if flow.kind == "server":
        return f"connections of server {flow.origin}"
    users = ctx.design.sites[flow.origin].users
    if share >= 0.9999:
        return f"connections of site {flow.origin} ({users} users)"
    return (
        f"connections of site {flow.origin} ({share:.0%} of them: {round(users * share)} of "
        f"{users} users)"
    )


def _names(purposes: frozenset[Purpose]) -> str:
    return ", ".join(sorted(p.value for p in purposes))


# (path kind, edge, origin, direction, missing there, missing back): one finding each.
_GroupKey = tuple[str, str, Path, Inspects, frozenset[Purpose], frozenset[Purpose]]


@dataclass(slots=True)
class _Uninspected:
    """Rows that miss the same controls by the same edge: the words of the row with the largest
    share (the first of equal ones) and how many flows they are."""

    flow: Flow
    share: float
    required: frozenset[Purpose]
    crossed: tuple[str, ...]
    flows: int = 0


class PathRows:
    """What the path rules read of a design's traced rows, summed up one row at a time as the
    rows are judged (``verify`` feeds them), in the rows' order: no row is held for them."""

    def __init__(self, engine: Engine) -> None:
        d = self.design = engine.design
        self.controls = Controls(engine)
        self.uninspected: dict[_GroupKey, _Uninspected] = {}  # ERP730, ERP731
        self.ipvpn = _ipvpn_egresses(d)
        self.ipvpn_hits: list[Hit] = []  # ERP732
        self._ipvpn_seen: set[tuple[str, str]] = set()
        self.tls = _tls_inspecting(d)
        self.tls_origins: dict[str, dict[str, None]] = {}  # ERP735: device -> origins

    def add(self, r: FlowResult) -> None:
        if self.design.security is not None:
            self._inspect(r)
        if self.ipvpn:
            self._egress(r)
        if self.tls:
            self._decrypted(r)

    def _inspect(self, r: FlowResult) -> None:
        for ins in inspect_row(self.controls, r):
            if not ins.missing:
                continue
            key = (
                ins.kind,
                ins.edge,
                _origin(ins.flow),
                ins.direction,
                ins.missing_there,
                ins.missing_back,
            )
            g = self.uninspected.get(key)
            if g is None:
                g = self.uninspected[key] = _Uninspected(
                    ins.flow, ins.share, ins.required, ins.crossed
                )
            elif ins.share > g.share:
                g.flow, g.share, g.required, g.crossed = (
                    ins.flow,
                    ins.share,
                    ins.required,
                    ins.crossed,
                )
            g.flows += len(r.flows)

    def _egress(self, r: FlowResult) -> None:
        d, ipvpn = self.design, self.ipvpn
        f = r.flow
        if f.direction is not Direction.OUTBOUND or f.start not in d.sites:
            return
        for b in r.trace.branches:
            where = edge_of(b)
            if where is None or where[0] != EXPRESSROUTE or where[1] not in ipvpn:
                continue
            c = ipvpn[where[1]]
            if f.start not in c.ipvpn_sites or (where[1], f.start) in self._ipvpn_seen:
                continue
            here = [n for n in devices_on(b.forward) if d.devices[n].site == f.start]
            met = self.controls.met(here, Inspects.OUTBOUND_MICROSOFT)
            required = policy_for(d, EXPRESSROUTE, Inspects.OUTBOUND_MICROSOFT)
            lacking = (required - met) if required else (frozenset() if met else None)
            if lacking is None or lacking:
                self._ipvpn_seen.add((where[1], f.start))
                off = [n for n in devices_on(b.forward) if d.devices[n].site != f.start]
                need = _names(lacking) if lacking else "security device"
                shown = ", ".join(off)
                elsewhere = f" (what it crosses elsewhere is off its path: {shown})" if off else ""
                self.ipvpn_hits.append(
                    Hit(
                        f"site {f.start} ({d.sites[f.start].users} users) egresses into IPVPN "
                        f"{where[1]} itself but has no {need} of its own{elsewhere}",
                        ("circuits", where[1], "ipvpn_sites", c.ipvpn_sites.index(f.start)),
                        (("circuits", where[1]), ("sites", f.start)),
                    )
                )

    def _decrypted(self, r: FlowResult) -> None:
        f = r.flow
        if f.direction is not Direction.OUTBOUND or f.third_party:
            return
        for b in r.trace.branches:
            where = edge_of(b)
            if where is None or where[0] != EXPRESSROUTE:
                continue
            for n in devices_on(b.forward):
                if n in self.tls and Inspects.OUTBOUND_MICROSOFT in self.design.devices[n].inspects:
                    self.tls_origins.setdefault(n, {})[f.origin] = None


def traced_rows(design: Design, catalogs: Catalogs) -> PathRows:
    """Every row of ``design`` traced, judged and read by the path rules one at a time."""
    return judged_rows(design, catalogs)[1]


def judged_rows(
    design: Design, catalogs: Catalogs, *readers: Callable[[FlowResult], None]
) -> tuple[Engine, PathRows]:
    """Every row of ``design`` traced, judged and read one at a time by the path rules and by
    ``readers`` (no row is kept): the engine and what the path rules summed up."""
    engine = Engine(design, catalogs, keep_traces=False)
    verdicts = Verdicts(engine)
    paths = PathRows(engine)
    for _, flows in engine.groups():
        r = verdicts.result(engine.members(flows), engine.trace(flows[0]))
        paths.add(r)
        for read in readers:
            read(r)
    return engine, paths


def _rows(ctx: Context) -> PathRows:
    """The rows as the path rules read them: fed by the caller (verify), read from the rows it
    traced (``Traces.traced``), else traced once, by the first rule that asks."""
    traces = ctx.traces
    if traces.paths is None:
        if traces.traced is not None:
            engine, results = traces.traced
            traces.paths = PathRows(engine)
            for r in results:
                traces.paths.add(r)
        else:
            traces.paths = traced_rows(ctx.design, ctx.catalogs)
    return traces.paths


def _path_hits(ctx: Context, kind: str) -> Iterator[Hit]:
    if ctx.design.security is None:
        return
    section = "circuits" if kind == EXPRESSROUTE else "breakouts"
    what = "circuit" if kind == EXPRESSROUTE else "breakout"
    for (of, edge, origin, direction, there, back), g in _rows(ctx).uninspected.items():
        if of != kind:
            continue
        where = []
        if there & back:
            where.append(f"no {_names(there & back)} there or back")
        if there - back:
            where.append(f"no {_names(there - back)} on the way out")
        if back - there:
            where.append(f"no {_names(back - there)} on the way back")
        crossed = ", ".join(g.crossed) or "no device"
        flows = g.flows
        yield Hit(
            f"{direction.value} {_who(ctx, g.flow, g.share)} by {what} {edge} cross "
            f"{'; '.join(where)} (the policy requires {_names(g.required)}; traced paths "
            f"cross {crossed}; {flows} flow{'s' if flows != 1 else ''})",
            (section, str(edge)),
            ((section, str(edge)), origin),
            data={
                "direction": direction.value,
                "edge": edge,
                "origin": g.flow.origin,
                "missing_out": sorted(p.value for p in there),
                "missing_back": sorted(p.value for p in back),
                "share": round(g.share, 6),
                "crossed": list(g.crossed),
            },
        )


@rule(
    code="ERP730",
    name="expressroute-path-uninspected",
    severity=Severity.ERROR,
    summary="An ExpressRoute path, there or back, misses a control the security policy requires.",
    source=_SECURE_SOURCE,
    fix="Place the required control where every ExpressRoute connection crosses it both ways: "
    "before the split into the circuit's two links, on the site's path to the circuit, or at "
    "the designated security location the traffic is hairpinned to; or say in `inspects` "
    "which directions a device covers.",
)
def expressroute_path_uninspected(ctx: Context) -> Iterator[Hit]:
    """Each outbound ExpressRoute connection (and each inbound one, when services are
    published over ExpressRoute) must cross the controls `security.expressroute` requires,
    on the way out and on the way back, in a device that applies them to that direction
    (`purpose`, `inspects`). The check reads the engine's traced paths, hop by hop there and
    back: a firewall listed on a circuit that a site's routes never take, or standing on the
    primary link while Microsoft returns half the replies over the secondary, does not inspect
    those connections, whatever the topology suggests.
    """
    yield from _path_hits(ctx, EXPRESSROUTE)


@rule(
    code="ERP731",
    name="internet-path-uninspected",
    severity=Severity.ERROR,
    summary="An internet path, there or back, misses a control the security policy requires.",
    source="guide 001 'Plan your bandwidth, security, high availability, and failover' (\"add "
    'how security is handled at each internet and ExpressRoute egress location"); '
    "'Applying security controls ...' (outbound to the internet differs from outbound to "
    "Microsoft)",
    fix="Place the required control on the breakout's path (its `devices`) or on the path of "
    "the sites that leave by it, or route the traffic through the proxy that applies it.",
)
def internet_path_uninspected(ctx: Context) -> Iterator[Hit]:
    """Connections that leave or enter by an internet breakout must cross the controls
    `security.internet` requires, both ways, in a device that applies them to the direction
    (outbound to Microsoft, outbound to the internet, inbound from Microsoft, inbound from
    internet users). A proxy that the site's PAC file or policy sends a flow to counts for that
    flow (it terminates the connection). Read from the traced paths, like ERP730.
    """
    yield from _path_hits(ctx, INTERNET)


@rule(
    code="ERP732",
    name="ipvpn-egress-without-security",
    severity=Severity.ERROR,
    summary="A site egresses into an any-to-any IPVPN used for ExpressRoute without security of "
    "its own.",
    source="guide 001 'Applying security controls ...' table, Any-to-Any IPVPN: \"Use an "
    "existing on-premises security/perimeter infrastructure at all locations that egress into "
    'the IPVPN used for ExpressRoute for Microsoft 365 connectivity"',
    fix="Put the controls at the site itself (its `devices`), or stop it egressing into the "
    "IPVPN and hairpin its traffic to a designated security location (remove it from "
    "`ipvpn_sites`).",
)
def ipvpn_egress_without_security(ctx: Context) -> Iterator[Hit]:
    """On an any-to-any IPVPN every site listed in the circuit's `ipvpn_sites` hands its
    ExpressRoute traffic to the provider's network at the site itself: the controls that count
    for it are those standing at that site, on its traced path. Controls at the circuit's own
    site (where erplan attaches the provider edge) are off that site's real path: "the circuit
    has a firewall", read from the topology alone, is wrong for it. Required: the policy's
    `security.expressroute.outbound` controls, or any security device without a policy.
    """
    if _ipvpn_egresses(ctx.design):
        yield from _rows(ctx).ipvpn_hits


def _misplaced(ctx: Context) -> Iterator[tuple[Path, str, str]]:
    d = ctx.design
    for sname, s in d.sites.items():
        for i, dev in enumerate(s.devices):
            yield ("sites", sname, "devices", i), dev, f"site {sname}"
    for bname, b in d.breakouts.items():
        for i, dev in enumerate(b.devices):
            yield ("breakouts", bname, "devices", i), dev, f"breakout {bname}"


@rule(
    code="ERP733",
    name="provider-device-off-circuit",
    severity=Severity.ERROR,
    summary="A provider-managed device is placed on the customer's side of the network.",
    source="guide 001 'Applying security controls ...' (\"Some service providers also offer "
    "managed security/perimeter functionality\") and 'High availability' (\"value add services "
    'such as NAT services or managed firewalls" between your perimeter and the peering '
    "location)",
    fix="List the device in the circuit's `devices` (before the split) or in a link's "
    "`devices` (after it), where the provider runs it, with its state (`stateful`, "
    "`static_nat`).",
)
def provider_device_off_circuit(ctx: Context) -> Iterator[Hit]:
    """A NAT or firewall that the provider manages stands between the customer's network and
    the Microsoft edge: on the provider's side of the circuit. Listed among a site's or a
    breakout's devices it would be traced on paths it never sees (every flow of the site, or
    internet traffic), and its state would be checked where it does not hold any.
    """
    for path, name, where in _misplaced(ctx):
        dev = ctx.design.devices.get(name)
        if dev is not None and dev.managed_by is Party.PROVIDER:
            yield Hit(
                f"device {name} is managed by the provider but listed at {where}: it stands on "
                "the provider's side of a circuit",
                path,
                (("devices", name),),
            )


@rule(
    code="ERP734",
    name="nat-duty-mismatch",
    severity=Severity.WARNING,
    summary="The circuit's NAT is not done by the party its connectivity model makes responsible.",
    source='guide 000 §5.1 ("The deployment model defines who (customer or provider) is '
    'responsible for meeting the IP addressing requirements"), §6.1',
    fix="Model the NAT where it is done: a device of kind nat managed by the party that "
    "translates (the provider's on its side of the circuit), with the pool it translates into; "
    "or set `addressing.nat` to who really does it.",
)
def nat_duty_mismatch(ctx: Context) -> Iterator[Hit]:
    """On an any-to-any IPVPN the provider translates into public addresses on the customer's
    behalf; on co-location and point-to-point the customer does, unless it buys the service.
    A provider NAT whose pool is missing from the design leaves erplan (and the reviewer)
    without the addresses Microsoft sees — asking the customer to add its own NAT would be the
    wrong fix. A pool translated by the other party's device contradicts the stated duty.
    """
    d = ctx.design
    for name, c in d.circuits.items():
        party = duty(c, Duty.NAT)
        if party is None:
            continue
        pools = c.snat_pool is not None or any(ln.snat_pool for ln in c.links.values())
        if party is Party.PROVIDER and not pools:
            model = c.connectivity.value if c.connectivity is not None else "as stated"
            yield Hit(
                f"circuit {name}: the provider source-NATs its traffic ({model}), but the "
                "design has no pool: ask the provider for the public pool it translates into "
                "and set `snat_pool`",
                ("circuits", name),
                (("circuits", name),),
                key=True,
            )
        lists = [(("circuits", name, "devices"), c.devices)] + [
            (("circuits", name, "links", ln.value, "devices"), link.devices)
            for ln, link in c.links.items()
        ]
        for where, names in lists:
            for i, dev_name in enumerate(names):
                dev = d.devices.get(dev_name)
                if dev is None or dev.kind is not DeviceKind.NAT or dev.managed_by is party:
                    continue
                yield Hit(
                    f"circuit {name}: NAT is the {party.value}'s duty, but {dev_name} "
                    f"translates and is managed by the {dev.managed_by.value}",
                    (*where, i),
                    (("circuits", name), ("devices", dev_name)),
                )


@rule(
    code="ERP735",
    name="tls-inspection-on-expressroute",
    severity=Severity.WARNING,
    summary="Microsoft 365 connections over ExpressRoute cross a device that decrypts and "
    "inspects TLS.",
    source="guide 001 'Bandwidth planning for Azure ExpressRoute' (\"If there are any latency "
    "or TCP congestion issues found in your testing, you may need to move the egress closer to "
    "the people using Microsoft 365 or remove intensive network scanning such as SSL "
    "decryption/inspection\"); 'Applying security controls ...' (\"The depth and type "
    'network/security controls may have impact on the performance")',
    fix="Exempt Microsoft 365 endpoints from TLS inspection on the ExpressRoute path (they are "
    "the same whether routed over ExpressRoute or the internet), or measure the latency it adds "
    "in the pilot.",
)
def tls_inspection_on_expressroute(ctx: Context) -> Iterator[Hit]:
    """Decrypting and inspecting TLS costs latency and throughput on every connection it
    touches; guide 001 names it first among what to remove when a pilot shows latency or
    congestion. erplan lists the devices with `ssl_inspection` that the traced ExpressRoute
    paths cross, and the users behind them.
    """
    d = ctx.design
    if not _tls_inspecting(d):
        return
    users = _rows(ctx).tls_origins
    for n, sites in users.items():
        people = sum(d.sites[s].users for s in sites if s in d.sites)
        shown = ", ".join(list(sites)[:5]) + (" ..." if len(sites) > 5 else "")
        yield Hit(
            f"device {n} decrypts TLS on the ExpressRoute path of {len(sites)} origin"
            f"{'s' if len(sites) != 1 else ''} ({people} users: {shown})",
            ("devices", n, "ssl_inspection"),
            (("devices", n),),
            data={"users": people, "origins": list(sites)},
        )
