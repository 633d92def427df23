"""Every flow of a design: forward path, every possible return path, NAT and state per hop.

A ``Flow`` (who talks to what) has a ``Trace``: the forward ``Path`` and every return ``Path``
Microsoft (outbound) or the customer's network (inbound) may use, each a tuple of ``Hop``s with
the addresses before and after any translation and the latency of that leg. The semantics are
those of the design notes ("Flow semantics"); the verdicts stage only reads what is here.

Outbound traces depend on (start site, resolver egress, destination class), not on the endpoint
set itself, so they are computed once per such key and shared by every flow that has it. From
the entry (circuit or breakout) on, a trace no longer depends on its site: that part is traced
once per entry and addresses and replayed for every site (``_Tail``), and a site's traces that
take the same route differ only in the destination address (``_Shape``). Without ``detail`` the
paths of a trace are built only when read: verifying needs only outcomes and latencies.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network
from typing import Any, NamedTuple, Protocol

from erplan.catalogs import Catalogs, EndpointSet, FrontEnd
from erplan.latency import ZERO, Geo, Ms, Point
from erplan.model import ENTRY_EXPRESSROUTE, ENTRY_INTERNET, Design, DeviceKind, ProxyMode
from erplan.routing import Advert, DestClass, RouteChoice, Routing, Via, is_public_address

PRIMARY = "primary"
SECONDARY = "secondary"


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class HopKind(StrEnum):
    SITE = "site"
    PROXY = "proxy"
    DNS = "dns"
    WAN = "wan"
    DEVICE = "device"
    NAT = "nat"
    CIRCUIT = "circuit"
    BREAKOUT = "breakout"
    INTERNET = "internet"
    BACKBONE = "backbone"
    FRONT_END = "front-end"
    SERVER = "server"


class Disposition(StrEnum):
    """How one path ends."""

    DELIVERED = "delivered"
    DROPPED = "dropped"
    BLACKHOLE = "blackhole"
    UNREACHABLE = "unreachable"


class Outcome(StrEnum):
    """How a whole trace ends, before optimality is judged (the verdicts stage adds that)."""

    OK = "ok"
    ASYMMETRIC = "asymmetric"
    DROPPED = "dropped"
    BLACKHOLE = "blackhole"
    UNREACHABLE = "unreachable"

    @property
    def rank(self) -> int:
        return _OUTCOME_RANK[self]


_OUTCOME_RANK = {
    Outcome.OK: 0,
    Outcome.ASYMMETRIC: 1,
    Outcome.BLACKHOLE: 3,
    Outcome.DROPPED: 3,
    Outcome.UNREACHABLE: 4,
}


@dataclass(frozen=True, slots=True)
class Hop:
    node: str
    kind: HopKind
    action: str
    src: str
    dst: str
    src_before: str | None = None  # set when this hop rewrote the source
    dst_before: str | None = None  # set when this hop rewrote the destination
    latency: Ms = ZERO  # round trip of the leg that reaches this hop
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "node": self.node,
            "kind": self.kind.value,
            "action": self.action,
            "src": self.src,
            "dst": self.dst,
        }
        if self.src_before is not None:
            out["src_before"] = self.src_before
        if self.dst_before is not None:
            out["dst_before"] = self.dst_before
        if self.latency.ms:
            out["latency_ms"] = round(self.latency.ms, 1)
            out["estimated"] = self.latency.estimated
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class Path:
    via: str  # "expressroute:<circuit>[/link]" or "internet:<breakout>" (or "" when none)
    hops: tuple[Hop, ...]
    disposition: Disposition
    latency: Ms
    symmetric: bool = True
    reason: str = ""  # why it ends as it does, in plain words
    culprit: tuple[str, ...] = ()  # design path of the object responsible, for findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "via": self.via,
            "disposition": self.disposition.value,
            "symmetric": self.symmetric,
            "latency_ms": round(self.latency.ms, 1),
            "estimated": self.latency.estimated,
            "reason": self.reason,
            "hops": [h.to_dict() for h in self.hops],
        }


class Trace:
    """How one flow goes: the forward path, every return path, and what they amount to.

    Immutable. The paths may be built on first use (``build``): verifying thousands of sites
    needs only the outcome, latency and route of each trace, while ``trace`` and the JSON report
    read every hop.
    """

    __slots__ = (
        "_build",
        "_forward",
        "_returns",
        "culprit",
        "egress",
        "entry_site",
        "front_end",
        "latency",
        "outcome",
        "reason",
        "relay",
        "route",
    )
    _forward: Path | None
    _returns: tuple[Path, ...] | None
    _build: Callable[[], tuple[Path, tuple[Path, ...]]] | None
    outcome: Outcome
    latency: Ms  # round trip of the worst working combination, tenant relay included
    reason: str
    culprit: tuple[str, ...]
    egress: str  # via of the forward path
    front_end: str | None
    route: RouteChoice | None
    entry_site: str | None  # where the flow meets Microsoft's network (outbound)
    relay: Ms  # front end -> tenant data (guide 000 Figure 6)

    def __init__(
        self,
        forward: Path | None,
        returns: tuple[Path, ...] | None,
        outcome: Outcome,
        latency: Ms,
        reason: str,
        culprit: tuple[str, ...] = (),
        egress: str = "",
        front_end: str | None = None,
        route: RouteChoice | None = None,
        entry_site: str | None = None,
        relay: Ms = ZERO,
        *,
        build: Callable[[], tuple[Path, tuple[Path, ...]]] | None = None,
    ) -> None:
        if (forward is None or returns is None) and build is None:
            raise ValueError("a trace needs its paths or a way to build them")
        setattr_ = object.__setattr__
        setattr_(self, "_forward", forward)
        setattr_(self, "_returns", returns)
        setattr_(self, "_build", build)
        setattr_(self, "outcome", outcome)
        setattr_(self, "latency", latency)
        setattr_(self, "reason", reason)
        setattr_(self, "culprit", culprit)
        setattr_(self, "egress", egress)
        setattr_(self, "front_end", front_end)
        setattr_(self, "route", route)
        setattr_(self, "entry_site", entry_site)
        setattr_(self, "relay", relay)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Trace is immutable: cannot set {name}")

    def _paths(self) -> tuple[Path, tuple[Path, ...]]:
        fwd: Path | None = self._forward
        rets: tuple[Path, ...] | None = self._returns
        if fwd is None or rets is None:
            assert self._build is not None
            fwd, rets = self._build()
            object.__setattr__(self, "_forward", fwd)
            object.__setattr__(self, "_returns", rets)
            object.__setattr__(self, "_build", None)
        return fwd, rets

    @property
    def forward(self) -> Path:
        return self._paths()[0]

    @property
    def returns(self) -> tuple[Path, ...]:
        return self._paths()[1]

    def _key(self) -> tuple[Any, ...]:
        fwd, rets = self._paths()
        return (
            fwd,
            rets,
            self.outcome,
            self.latency,
            self.reason,
            self.culprit,
            self.egress,
            self.front_end,
            self.route,
            self.entry_site,
            self.relay,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        return self is other or self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        fwd, rets = self._paths()
        return (
            f"Trace(forward={fwd!r}, returns={rets!r}, outcome={self.outcome!r}, "
            f"latency={self.latency!r}, reason={self.reason!r}, culprit={self.culprit!r}, "
            f"egress={self.egress!r}, front_end={self.front_end!r}, route={self.route!r}, "
            f"entry_site={self.entry_site!r}, relay={self.relay!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "latency_ms": round(self.latency.ms, 1),
            "estimated": self.latency.estimated,
            "reason": self.reason,
            "egress": self.egress,
            "front_end": self.front_end,
            "route": _route_dict(self.route),
            "forward": self.forward.to_dict(),
            "returns": [p.to_dict() for p in self.returns],
        }


def _route_dict(r: RouteChoice | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "via": r.via.value,
        "circuit": r.circuit,
        "breakout": r.breakout,
        "why": r.why,
        "tie_break": list(r.tie_break),
        "candidates": [
            {"circuit": c.circuit, "local_preference": c.local_preference, "igp": c.igp}
            for c in r.candidates
        ],
    }


@dataclass(frozen=True, slots=True)
class Flow:
    """One flow: an origin site and an endpoint set (outbound), or a service and an entry."""

    direction: Direction
    origin: str  # site (outbound) or service (inbound)
    fqdn: str
    endpoint_set: int | None
    users: int
    trace: Trace
    start_site: str  # the site the flow leaves from (the proxy's, when proxied)
    proxied: bool = False
    resolver: str | None = None  # breakout whose location answered DNS
    entry: str | None = None  # inbound: the entry Microsoft uses
    express_route: bool = False  # the endpoint set is ExpressRoute-able

    @property
    def key(self) -> str:
        if self.direction is Direction.OUTBOUND:
            return f"{self.origin} -> {self.fqdn}"
        return f"{self.origin} <- {self.entry}"

    def to_dict(self, *, with_trace: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "direction": self.direction.value,
            "origin": self.origin,
            "fqdn": self.fqdn,
            "endpoint_set": self.endpoint_set,
            "users": self.users,
            "start_site": self.start_site,
            "proxied": self.proxied,
            "resolver": self.resolver,
            "entry": self.entry,
            "express_route": self.express_route,
        }
        if with_trace:
            out["trace"] = self.trace.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class OriginFlows:
    """The outbound flows of one origin site, compactly: a trace per outbound set (sets of one
    destination class share it) and where the flows start, by ExpressRoute-ability."""

    site: str
    users: int
    contexts: dict[bool, tuple[str, bool, str | None]]  # start site, proxied, resolver
    traces: tuple[Trace, ...]


# -- state holders -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Entry:
    """Where traffic meets Microsoft: a circuit (with its link when devices sit per link) or a
    breakout."""

    via: Via
    name: str
    link: str | None = None

    @property
    def label(self) -> str:
        base = f"{self.via.value}:{self.name}"
        return f"{base}/{self.link}" if self.link else base


_KEPT = frozenset({HopKind.NAT, HopKind.DEVICE, HopKind.PROXY})


@dataclass
class _Builder:
    hops: list[Hop] = field(default_factory=list)
    latency: Ms = ZERO
    src: str = ""
    dst: str = ""
    # Without detail only the hops that matter to a verdict are kept (translations, devices,
    # drops): verifying thousands of sites stays cheap; `trace` asks for every hop.
    detail: bool = True
    # Every latency added, in order: a recorded part is replayed onto another builder with the
    # same float additions in the same order, so shared parts give identical sums.
    legs: list[Ms] = field(default_factory=list)

    def add(
        self,
        node: str,
        kind: HopKind,
        action: str = "forward",
        *,
        latency: Ms = ZERO,
        src: str | None = None,
        dst: str | None = None,
        note: str = "",
    ) -> None:
        if not self.detail and kind not in _KEPT and action != "drop":
            if src is not None:
                self.src = src
            if dst is not None:
                self.dst = dst
            if latency.ms:
                self.latency = self.latency + latency
                self.legs.append(latency)
            return
        src_before = None
        dst_before = None
        if src is not None and src != self.src:
            src_before, self.src = self.src, src
        if dst is not None and dst != self.dst:
            dst_before, self.dst = self.dst, dst
        self.latency = self.latency + latency
        self.legs.append(latency)
        self.hops.append(
            Hop(node, kind, action, self.src, self.dst, src_before, dst_before, latency, note)
        )

    def end(
        self,
        via: str,
        disposition: Disposition,
        *,
        symmetric: bool = True,
        reason: str = "",
        culprit: tuple[str, ...] = (),
    ) -> Path:
        return Path(via, tuple(self.hops), disposition, self.latency, symmetric, reason, culprit)


# Stands for the client address in parts of a trace shared between sites; ``_bind_hops`` puts
# the real one in. A NUL never occurs in an address or a name.
_CLIENT = "\x00client"
_NO_STATE: frozenset[str] = frozenset()


def _has_client(hops: Iterable[Hop]) -> bool:
    return any(_CLIENT in (h.src, h.dst, h.src_before, h.dst_before) for h in hops)


def _bind(value: str, client: str) -> str:
    return client if value == _CLIENT else value


def _bind_hops(hops: Iterable[Hop], client: str) -> tuple[Hop, ...]:
    out = []
    for h in hops:
        if _CLIENT in (h.src, h.dst, h.src_before, h.dst_before):
            h = Hop(
                h.node,
                h.kind,
                h.action,
                _bind(h.src, client),
                _bind(h.dst, client),
                None if h.src_before is None else _bind(h.src_before, client),
                None if h.dst_before is None else _bind(h.dst_before, client),
                h.latency,
                h.note,
            )
        out.append(h)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Pending:
    """A return path traced up to the site where it heads for the flow's start site."""

    hops: tuple[Hop, ...]
    latency: Ms
    src: str
    dst: str
    at: str
    via: str
    symmetric: bool
    reason: str
    culprit: tuple[str, ...]
    entry_culprit: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Tail:
    """An outbound trace from its entry on: the hops and latency legs to append, how the
    forward path ends, and either the outcome of a trace that stops there or every return."""

    hops: tuple[Hop, ...]
    legs: tuple[Ms, ...]
    via: str
    disposition: Disposition
    reason: str = ""
    culprit: tuple[str, ...] = ()
    outcome: Outcome | None = None
    trace_culprit: tuple[str, ...] = ()
    with_entry: bool = True
    returns: tuple[Path | _Pending, ...] = ()
    binds: bool = False


class _Ending(Protocol):
    """How a path ends: what the outcome of a trace is computed from."""

    @property
    def disposition(self) -> Disposition: ...
    @property
    def latency(self) -> Ms: ...
    @property
    def symmetric(self) -> bool: ...
    @property
    def reason(self) -> str: ...
    @property
    def culprit(self) -> tuple[str, ...]: ...


class _End(NamedTuple):
    """A return path's ending without its hops (built later, when asked for)."""

    disposition: Disposition
    latency: Ms
    symmetric: bool
    reason: str
    culprit: tuple[str, ...]


def _sum_up(
    fwd: Ms, returns: Sequence[_Ending], relay: Ms
) -> tuple[Outcome, Ms, str, tuple[str, ...]]:
    """The outcome of a trace (its worst return), its latency (the slowest working round trip
    plus the tenant relay), and the reason and culprit of that outcome."""
    outcome = Outcome.OK
    reason = ""
    culprit: tuple[str, ...] = ()
    worst = fwd
    for r in returns:
        if r.disposition is Disposition.DELIVERED:
            o = Outcome.OK if r.symmetric else Outcome.ASYMMETRIC
            rtt = Ms((fwd.ms + r.latency.ms) / 2, fwd.estimated or r.latency.estimated)
            if rtt.ms > worst.ms:
                worst = rtt
        elif r.disposition is Disposition.DROPPED:
            o = Outcome.DROPPED
        elif r.disposition is Disposition.BLACKHOLE:
            o = Outcome.BLACKHOLE
        else:
            o = Outcome.UNREACHABLE
        if o.rank > outcome.rank:
            outcome, reason, culprit = o, r.reason, r.culprit
    if not returns:
        outcome = Outcome.BLACKHOLE
        reason = "no return path"
    return outcome, worst + relay, reason, culprit


class _Shape(NamedTuple):
    """What an outbound trace amounts to, whatever address its destination has and whichever
    route led to its entry: the entry, the forward latency, the outcome, and what building its
    paths needs."""

    entry: Entry
    label: str
    esite: str
    start: str
    relay: Ms
    head: tuple[Hop, ...]  # kept hops before the entry (none when shared)
    latency: Ms  # of the forward path
    outcome: Outcome
    total: Ms
    reason: str
    culprit: tuple[str, ...]
    translates: bool
    client: str
    client_public: bool
    state: frozenset[str]  # stateful devices seen before the entry
    override: float | None


def _first_host(net: IPv4Network) -> IPv4Address:
    if net.prefixlen >= 31:
        return net.network_address
    return net.network_address + 1


class FlowEngine:
    """Derives and traces every flow of one design."""

    def __init__(
        self,
        design: Design,
        catalogs: Catalogs,
        routing: Routing | None = None,
        *,
        detail: bool = True,
    ) -> None:
        self.design = design
        self.detail = detail
        self.catalogs = catalogs
        self.routing = routing or Routing(design, catalogs)
        self.geo: Geo = self.routing.geo
        self._out_cache: dict[tuple[str, str, str | None, str, DestClass], Trace] = {}
        tenant_fe = catalogs.home_front_end(design.tenant.geography)
        self.tenant_front_end: FrontEnd | None = tenant_fe
        # Memos: every outbound trace asks the same few questions about the same few entries,
        # addresses and front ends; answering each once keeps the work per (site, class).
        self._clients: dict[str, tuple[str, bool]] = {}
        self._dst: dict[tuple[int, str], str] = {}
        self._entries: dict[str, list[Entry]] = {}
        self._entry_devs: dict[Entry, list[tuple[str, str]]] = {}
        self._holders: dict[Entry, str | None] = {}
        self._pools: dict[Entry, list[IPv4Network]] = {}
        self._tails: dict[tuple[Any, ...], _Tail] = {}
        self._egresses: dict[int, tuple[RouteChoice, Entry, str, str, bool]] = {}
        self._shapes: dict[tuple[Any, ...], _Shape] = {}
        self._sets: list[EndpointSet] | None = None
        self._names: list[str] = []

    # -- small helpers -----------------------------------------------------------------------
    def client_address(self, site: str) -> tuple[str, bool]:
        """A client address of the site and whether it is public (no prefixes: private)."""
        got = self._clients.get(site)
        if got is None:
            prefixes = self.design.sites[site].prefixes
            if not prefixes:
                got = (f"clients of {site}", False)
            else:
                addr = _first_host(prefixes[0])
                got = (str(addr), is_public_address(addr))
            self._clients[site] = got
        return got

    def _dst_address(self, es: EndpointSet, fe: FrontEnd) -> str:
        """What an FQDN of ``es`` resolves to at ``fe``, as text (a name for URL-only sets)."""
        key = (id(es), fe.name)
        got = self._dst.get(key)
        if got is None:
            try:
                got = str(self.catalogs.front_end_address(es, fe))
            except ValueError:
                got = f"{fe.name} front end"
            self._dst[key] = got
        return got

    def stateful(self, device: str) -> bool:
        d = self.design.devices.get(device)
        return d is None or d.stateful

    def device_up(self, device: str) -> bool:
        d = self.design.devices.get(device)
        return d is None or d.up

    def _is_nat_device(self, device: str) -> bool:
        d = self.design.devices.get(device)
        return d is not None and d.kind is DeviceKind.NAT

    def circuit_entries(self, circuit: str) -> list[Entry]:
        got = self._entries.get(circuit)
        if got is None:
            c = self.design.circuits[circuit]
            if getattr(c, "devices_per_link", False):  # replaced by the new engine
                got = [
                    Entry(Via.EXPRESSROUTE, circuit, PRIMARY),
                    Entry(Via.EXPRESSROUTE, circuit, SECONDARY),
                ]
            else:
                got = [Entry(Via.EXPRESSROUTE, circuit)]
            self._entries[circuit] = got
        return list(got)

    def entry_devices(self, e: Entry) -> list[tuple[str, str]]:
        """(state id, device name) of the stateful devices at an entry, in forward order."""
        got = self._entry_devs.get(e)
        if got is None:
            got = self._entry_devices(e)
            self._entry_devs[e] = got
        return got

    def _entry_devices(self, e: Entry) -> list[tuple[str, str]]:
        names = (
            self.design.circuits[e.name].devices
            if e.via is Via.EXPRESSROUTE
            else self.design.breakouts[e.name].devices
        )
        out = []
        for d in names:
            if self._is_nat_device(d):
                continue  # the NAT is handled as the translation holder
            if self.stateful(d):
                out.append((f"{d}/{e.link}" if e.link else d, d))
        return out

    def nat_holder(self, e: Entry) -> str | None:
        """The identity of the NAT that translates outbound traffic at an entry, if any."""
        if e in self._holders:
            return self._holders[e]
        got = self._nat_holder(e)
        self._holders[e] = got
        return got

    def _nat_holder(self, e: Entry) -> str | None:
        if e.via is Via.EXPRESSROUTE:
            c = self.design.circuits[e.name]
            explicit = next((d for d in c.devices if self._is_nat_device(d)), None)
            if c.snat_pool is None and explicit is None:
                return None
            base = explicit if explicit is not None else f"nat of {e.name}"
        else:
            b = self.design.breakouts[e.name]
            explicit = next((d for d in b.devices if self._is_nat_device(d)), None)
            if not b.nat and explicit is None:
                return None
            base = explicit if explicit is not None else f"nat of {e.name}"
        return f"{base}/{e.link}" if e.link else base

    def nat_pool(self, e: Entry) -> list[IPv4Network]:
        got = self._pools.get(e)
        if got is None:
            if e.via is Via.EXPRESSROUTE:
                pool = self.design.circuits[e.name].snat_pool
                got = [pool] if pool is not None else []
            else:
                got = list(self.design.breakouts[e.name].nat)
            self._pools[e] = got
        return list(got)

    def entry_site(self, e: Entry) -> str:
        if e.via is Via.EXPRESSROUTE:
            return self.design.circuits[e.name].site
        return self.design.breakouts[e.name].site

    def entry_culprit(self, e: Entry) -> tuple[str, ...]:
        return ("circuits", e.name) if e.via is Via.EXPRESSROUTE else ("breakouts", e.name)

    def _wan(self, b: _Builder, a: str, z: str) -> bool:
        """Add the WAN hops from site a to site z; False when z cannot be reached."""
        if a == z:
            return True
        if not self.detail:
            lat = self.routing.wan_latency(a, z)
            if lat is None:
                return False
            b.latency = b.latency + lat
            b.legs.append(lat)
            return True
        path = self.routing.wan_path(a, z)
        if not path:
            return False
        for u, v in itertools.pairwise(path):
            b.add(
                f"site {v}",
                HopKind.WAN,
                latency=self.routing.link_latency(u, v),
                note=f"WAN {u}-{v}",
            )
        return True

    def _site_devices(self, b: _Builder, site: str, seen: set[str]) -> str | None:
        for d in self.design.sites[site].devices:
            if not self.device_up(d):
                return d
            if self.stateful(d):
                seen.add(d)
            b.add(f"device {d}", HopKind.DEVICE, note="site device")
        return None

    def _ms_point(self, e: Entry) -> Point:
        """Where Microsoft's network meets an entry."""
        if e.via is Via.EXPRESSROUTE:
            return self.geo.peering(e.name)
        return self.geo.fe_point(self.geo.breakout_internet(e.name)[1])

    def _entry_leg(self, e: Entry, start_site: str | None = None) -> Ms:
        """Entry site to the Microsoft edge: circuit access, or internet to the nearest front."""
        if e.via is Via.EXPRESSROUTE:
            return self.geo.circuit_access(e.name)
        return self.geo.breakout_internet(e.name)[0]

    def relay(self, fe: FrontEnd) -> Ms:
        if self.tenant_front_end is None:
            return ZERO
        return self.geo.backbone_fe(fe, self.tenant_front_end)

    # -- outbound ----------------------------------------------------------------------------
    def outbound_start(self, site: str, es: EndpointSet) -> tuple[str, bool]:
        """Where the flow leaves from after the proxy decision, and whether it is proxied."""
        proxy = self.design.sites[site].proxy
        psite = proxy.site if proxy.site is not None else site
        if proxy.mode is ProxyMode.ALL or (proxy.mode is ProxyMode.PAC and not es.express_route):
            return psite, True
        return site, False

    def resolver_point(self, start: str) -> tuple[str | None, Point]:
        r = self.routing.site_resolver_egress(start)
        if r is not None and r in self.design.breakouts:
            return r, self.geo.site(self.design.breakouts[r].site)
        return None, self.geo.site(start)  # no resolver egress: assume the site itself

    def outbound(self, site: str, es: EndpointSet, fqdn: str | None = None) -> Flow:
        start, proxied = self.outbound_start(site, es)
        resolver, rpoint = self.resolver_point(start)
        fe = self.geo.nearest_front_end(rpoint)
        cls = DestClass(es.express_route, es.community, None)
        key = (site, start, resolver, fe.name, cls)
        trace = self._out_cache.get(key)
        if trace is None:
            trace = self._trace_outbound(site, start, proxied, resolver, fe, es, cls)
            self._out_cache[key] = trace
        return Flow(
            Direction.OUTBOUND,
            site,
            fqdn or (es.urls[0] if es.urls else f"endpoint set {es.id}"),
            es.id,
            self.design.sites[site].users,
            trace,
            start,
            proxied,
            resolver,
            None,
            es.express_route,
        )

    def _trace_outbound(
        self,
        origin: str,
        start: str,
        proxied: bool,
        resolver: str | None,
        fe: FrontEnd,
        es: EndpointSet,
        cls: DestClass,
    ) -> Trace:
        dst_addr = self._dst_address(es, fe)
        shape_key: tuple[Any, ...] = ()
        route = self.routing.lookup(start, cls)  # a pure function of its arguments
        if not self.detail and route.via is not Via.NONE:
            # Traces of one origin whose routes lead to the same entry differ only in the
            # destination address their hops show: reuse what the first one found (``_Shape``).
            shape_key = (origin, start, proxied, resolver, fe.name, self._egress(route)[1])
            shape = self._shapes.get(shape_key)
            if shape is not None:
                return self._shaped(shape, dst_addr, fe, None, route)
        client, client_public = self.client_address(origin)
        b = _Builder(src=client, dst=dst_addr, detail=self.detail)
        if self.detail:  # without detail these hops are not kept and carry no latency
            b.add(f"site {origin}", HopKind.SITE, "originate", note=f"client at {origin}")
            b.add(
                f"resolver {resolver or start}",
                HopKind.DNS,
                "resolve",
                note=f"geoDNS answers with the {fe.name} front end (nearest to the resolver "
                "egress)",
            )
        relay = self.relay(fe)
        seen: set[str] = set()
        down = self._site_devices(b, origin, seen)
        if down is not None:
            fwd = b.end("", Disposition.DROPPED, reason=f"device {down} is down")
            return self._single(fwd, Outcome.DROPPED, ("devices", down), fe, None, relay)
        if proxied:
            if not self._wan(b, origin, start):
                fwd = b.end("", Disposition.UNREACHABLE, reason=f"proxy site {start} unreachable")
                return self._single(
                    fwd, Outcome.UNREACHABLE, ("sites", origin, "proxy"), fe, None, relay
                )
            psrc, ppublic = self.client_address(start)
            b.add(
                f"proxy at {start}",
                HopKind.PROXY,
                "proxy",
                src=psrc if psrc != f"clients of {start}" else f"proxy at {start}",
                note="the proxy opens a new connection",
            )
            client, client_public = b.src, psrc != f"clients of {start}" and ppublic
        if route.via is Via.NONE:
            fwd = b.end("", Disposition.UNREACHABLE, reason=route.why)
            return self._single(fwd, Outcome.UNREACHABLE, ("sites", start), fe, route, relay, start)
        entry, label, esite, translates = self._egress(route)
        self._wan(b, start, esite)
        # From the entry on, the path depends on the entry, the addresses and the state seen so
        # far, not on the site: it is traced once per such key and replayed for every site. When
        # the entry translates the source, the client address is bound afterwards.
        override = self.design.sites[start].internet_latency_ms if start == esite else None
        state = frozenset(seen) if seen else _NO_STATE
        tail = self._tail(
            entry, label, translates, client, client_public, dst_addr, fe, state, override
        )
        # Ms additions one leg at a time, as the builder makes them (same float sums).
        ms, estimated = b.latency.ms, b.latency.estimated
        for leg in tail.legs:
            ms += leg.ms
            estimated = estimated or leg.estimated
        latency = Ms(ms, estimated)
        if tail.outcome is not None or self.detail:
            b.hops.extend(_bind_hops(tail.hops, client) if tail.binds else tail.hops)
            fwd = Path(
                tail.via, tuple(b.hops), tail.disposition, latency, True, tail.reason, tail.culprit
            )
        if tail.outcome is not None:
            if tail.with_entry:
                return self._single(
                    fwd, tail.outcome, tail.trace_culprit, fe, route, relay, esite, entry
                )
            return self._single(fwd, tail.outcome, tail.trace_culprit, fe, route, relay)
        if self.detail:
            returns = [self._finish_return(r, start, client) for r in tail.returns]
            return self._combine(fwd, returns, fe, route, relay, esite, entry)
        # Without detail the paths are built on first use: the outcome needs only how each
        # return ends, and most traces of a large design are never shown hop by hop.
        ends = [self._return_end(r, start) for r in tail.returns]
        outcome, total, reason, culprit = _sum_up(latency, ends, relay)
        shape = _Shape(
            entry,
            label,
            esite,
            start,
            relay,
            tuple(b.hops),
            latency,
            outcome,
            total,
            reason,
            culprit,
            translates,
            client,
            client_public,
            state,
            override,
        )
        if not b.hops and shape_key:  # hops before the entry show the destination
            self._shapes[shape_key] = shape
        return self._shaped(shape, dst_addr, fe, tail, route)

    def _tail(
        self,
        entry: Entry,
        label: str,
        translates: bool,
        client: str,
        client_public: bool,
        dst_addr: str,
        fe: FrontEnd,
        state: frozenset[str],
        override: float | None,
    ) -> _Tail:
        key = (
            label,
            None if translates else client,
            None if translates else client_public,
            dst_addr,
            fe.name,
            state,
            override,
        )
        tail = self._tails.get(key)
        if tail is None:
            tail = self._outbound_tail(
                entry,
                _CLIENT if translates else client,
                client_public,
                dst_addr,
                fe,
                set(state),
                override,
            )
            self._tails[key] = tail
        return tail

    def _shaped(
        self,
        shape: _Shape,
        dst_addr: str,
        fe: FrontEnd,
        tail: _Tail | None,
        route: RouteChoice,
    ) -> Trace:
        """The trace of ``shape`` toward ``dst_addr`` by ``route`` (one leading to the shape's
        entry), its paths built when first asked for."""

        def build() -> tuple[Path, tuple[Path, ...]]:
            t = tail or self._tail(
                shape.entry,
                shape.label,
                shape.translates,
                shape.client,
                shape.client_public,
                dst_addr,
                fe,
                shape.state,
                shape.override,
            )
            hops = shape.head + (_bind_hops(t.hops, shape.client) if t.binds else t.hops)
            fwd = Path(t.via, hops, t.disposition, shape.latency, True, t.reason, t.culprit)
            rets = tuple(self._finish_return(r, shape.start, shape.client) for r in t.returns)
            return fwd, rets

        return Trace(
            None,
            None,
            shape.outcome,
            shape.total,
            shape.reason,
            shape.culprit,
            shape.label,
            fe.name,
            route,
            shape.esite,
            shape.relay,
            build=build,
        )

    def _egress(self, route: RouteChoice) -> tuple[Entry, str, str, bool]:
        """The entry a route leads to, its label, its site, and whether it translates the
        source (asked once per trace; route choices are shared objects, so keyed by identity)."""
        got = self._egresses.get(id(route))
        if got is None or got[0] is not route:
            if route.via is Via.EXPRESSROUTE:
                assert route.circuit is not None
                entry = self.circuit_entries(route.circuit)[0]
            else:
                assert route.breakout is not None
                entry = Entry(Via.INTERNET, route.breakout)
            translates = self.nat_holder(entry) is not None and bool(self.nat_pool(entry))
            got = (route, entry, entry.label, self.entry_site(entry), translates)
            self._egresses[id(route)] = got
        return got[1:]

    def _outbound_tail(
        self,
        entry: Entry,
        client: str,
        client_public: bool,
        dst_addr: str,
        fe: FrontEnd,
        seen_before: set[str],
        override: float | None,
    ) -> _Tail:
        """The forward path from the entry's devices to the front end, and every return."""
        b = _Builder(src=client, dst=dst_addr, detail=self.detail)
        seen = set(seen_before)

        def single(
            disposition: Disposition,
            outcome: Outcome,
            reason: str,
            culprit: tuple[str, ...] = (),
            trace_culprit: tuple[str, ...] | None = None,
            *,
            with_entry: bool = True,
        ) -> _Tail:
            return _Tail(
                tuple(b.hops),
                tuple(b.legs),
                entry.label,
                disposition,
                reason,
                culprit,
                outcome=outcome,
                trace_culprit=culprit if trace_culprit is None else trace_culprit,
                with_entry=with_entry,
                binds=_has_client(b.hops),
            )

        # The entry's stateful devices, then its NAT (the NAT faces Microsoft).
        for sid, dname in self.entry_devices(entry):
            if not self.device_up(dname):
                return single(
                    Disposition.DROPPED,
                    Outcome.DROPPED,
                    f"device {dname} is down",
                    trace_culprit=("devices", dname),
                    with_entry=False,
                )
            seen.add(sid)
            b.add(f"device {dname}", HopKind.DEVICE, note="stateful: records the connection")
        holder = self.nat_holder(entry)
        pool = self.nat_pool(entry)
        translated = client
        if holder is not None and pool:
            translated = str(_first_host(pool[0]))
            b.add(holder, HopKind.NAT, "snat", src=translated, note="source NAT")
        elif holder is not None:
            holder = None  # an explicit NAT device without a pool translates nothing we know
        src_public = (
            is_public_address(IPv4Address(translated)) if translated[0].isdigit() else client_public
        )
        if entry.via is Via.EXPRESSROUTE:
            c = self.design.circuits[entry.name]
            b.add(
                f"circuit {entry.name}" + (f" {entry.link}" if entry.link else ""),
                HopKind.CIRCUIT,
                latency=self.geo.circuit_access(entry.name),
                note=f"Microsoft peering at {c.peering_location}",
            )
            if not src_public:
                return single(
                    Disposition.DROPPED,
                    Outcome.DROPPED,
                    f"private source {translated} on the Microsoft peering of "
                    f"{entry.name} (only public addresses are allowed there)",
                    ("circuits", entry.name, "snat_pool"),
                )
            taddr = IPv4Address(translated)
            if not any(taddr in p for p in c.advertises):
                return single(
                    Disposition.DROPPED,
                    Outcome.DROPPED,
                    f"source {translated} is outside the prefixes advertised on "
                    f"{entry.name}: Microsoft's inbound filter drops it",
                    ("circuits", entry.name, "advertises"),
                )
            b.add(
                f"Microsoft edge {c.peering_location}",
                HopKind.BACKBONE,
                latency=self.geo.backbone(self.geo.peering(entry.name), self.geo.fe_point(fe)),
                note=f"Microsoft backbone to {fe.name}",
            )
        else:
            if not src_public:
                return single(
                    Disposition.BLACKHOLE,
                    Outcome.BLACKHOLE,
                    f"private source {translated} sent to the internet by {entry.name} "
                    "without source NAT: no reply can come back",
                    ("breakouts", entry.name, "nat"),
                )
            ims, near = self.geo.breakout_internet(entry.name)
            if override is not None:
                ims = Ms(override or 0.0, False)
            b.add(f"breakout {entry.name}", HopKind.BREAKOUT, note="internet")
            b.add(
                f"internet to {near.name}",
                HopKind.INTERNET,
                latency=ims,
                note=f"internet to the nearest Microsoft front door ({near.name})",
            )
            if near.name != fe.name:
                b.add(
                    f"Microsoft backbone to {fe.name}",
                    HopKind.BACKBONE,
                    latency=self.geo.backbone_fe(near, fe),
                )
        b.add(f"front end {fe.name}", HopKind.FRONT_END, "accept", note=f"serves {dst_addr}")
        returns = self._outbound_returns(
            IPv4Address(translated) if translated[0].isdigit() else None,
            translated,
            dst_addr,
            client,
            holder,
            entry,
            seen,
            fe,
        )
        return _Tail(
            tuple(b.hops),
            tuple(b.legs),
            entry.label,
            Disposition.DELIVERED,
            returns=tuple(returns),
            binds=_has_client(b.hops),
        )

    def _return_end(self, r: Path | _Pending, start: str) -> _Ending:
        """How ``_finish_return`` (without detail) ends, without building the path."""
        if isinstance(r, Path):
            return r
        if r.at == start:
            latency = r.latency
        else:
            lat = self.routing.wan_latency(r.at, start)
            if lat is None:
                return _End(
                    Disposition.BLACKHOLE,
                    r.latency,
                    False,
                    f"the reply arrives at {r.at}, which cannot reach {start}",
                    r.entry_culprit,
                )
            latency = r.latency + lat
        return _End(Disposition.DELIVERED, latency, r.symmetric, r.reason, r.culprit)

    def _finish_return(self, r: Path | _Pending, start: str, client: str) -> Path:
        """A return template completed with the way back to ``start``, the client bound."""
        if isinstance(r, _Pending):
            b = _Builder(list(r.hops), r.latency, r.src, r.dst, self.detail)
            if not self._wan(b, r.at, start):
                path = b.end(
                    r.via,
                    Disposition.BLACKHOLE,
                    symmetric=False,
                    reason=f"the reply arrives at {r.at}, which cannot reach {start}",
                    culprit=r.entry_culprit,
                )
            else:
                if self.detail:
                    b.add(f"site {start}", HopKind.SITE, "deliver")
                path = b.end(
                    r.via,
                    Disposition.DELIVERED,
                    symmetric=r.symmetric,
                    reason=r.reason,
                    culprit=r.culprit,
                )
        else:
            path = r
        if not _has_client(path.hops):
            return path
        return Path(
            path.via,
            _bind_hops(path.hops, client),
            path.disposition,
            path.latency,
            path.symmetric,
            path.reason,
            path.culprit,
        )

    def _single(
        self,
        fwd: Path,
        outcome: Outcome,
        culprit: tuple[str, ...],
        fe: FrontEnd,
        route: RouteChoice | None,
        relay: Ms,
        entry_site: str | None = None,
        entry: Entry | None = None,
    ) -> Trace:
        return Trace(
            fwd,
            (),
            outcome,
            fwd.latency,
            fwd.reason,
            culprit,
            entry.label if entry else fwd.via,
            fe.name,
            route,
            entry_site,
            relay,
        )

    def _combine(
        self,
        fwd: Path,
        returns: list[Path],
        fe: FrontEnd,
        route: RouteChoice | None,
        relay: Ms,
        entry_site: str | None,
        entry: Entry,
    ) -> Trace:
        outcome, latency, reason, culprit = _sum_up(fwd.latency, returns, relay)
        return Trace(
            fwd,
            tuple(returns),
            outcome,
            latency,
            reason,
            culprit,
            entry.label,
            fe.name,
            route,
            entry_site,
            relay,
        )

    def _outbound_returns(
        self,
        addr: IPv4Address | None,
        translated: str,
        dst_addr: str,
        client: str,
        holder: str | None,
        fwd_entry: Entry,
        seen: set[str],
        fe: FrontEnd,
    ) -> list[Path | _Pending]:
        if addr is None:  # a private client address that reached Microsoft: cannot happen
            return []
        choice = self.routing.microsoft_choice(addr)
        if not choice:
            b = _Builder(src=dst_addr, dst=translated, detail=self.detail)
            b.add(f"front end {fe.name}", HopKind.FRONT_END, "reply")
            return [
                b.end(
                    "",
                    Disposition.BLACKHOLE,
                    symmetric=False,
                    reason=f"Microsoft has no route to {translated}: nothing advertises it",
                    culprit=(*self.entry_culprit(fwd_entry), "advertises"),
                )
            ]
        out: list[Path | _Pending] = []
        for adv in choice:
            entries = (
                self.circuit_entries(adv.name)
                if adv.via is Via.EXPRESSROUTE
                else [Entry(Via.INTERNET, adv.name)]
            )
            for e in entries:
                out.append(
                    self._return_via(
                        e, adv, translated, dst_addr, client, holder, fwd_entry, seen, fe
                    )
                )
        return out

    def _return_via(
        self,
        e: Entry,
        adv: Advert,
        translated: str,
        dst_addr: str,
        client: str,
        holder: str | None,
        fwd_entry: Entry,
        seen: set[str],
        fe: FrontEnd,
    ) -> Path | _Pending:
        """One return path up to where it heads for the start site (``_finish_return``)."""
        b = _Builder(src=dst_addr, dst=translated, detail=self.detail)
        if self.detail:
            b.add(f"front end {fe.name}", HopKind.FRONT_END, "reply", note=f"route {adv.prefix}")
        mpoint = self._ms_point(e)
        b.add(
            f"Microsoft edge for {e.label}",
            HopKind.BACKBONE,
            latency=self.geo.backbone(self.geo.fe_point(fe), mpoint),
        )
        if e.via is Via.EXPRESSROUTE:
            b.add(
                f"circuit {e.name}" + (f" {e.link}" if e.link else ""),
                HopKind.CIRCUIT,
                latency=self._entry_leg(e),
            )
        else:
            b.add(f"breakout {e.name}", HopKind.BREAKOUT, latency=self._entry_leg(e))
        symmetric = e == fwd_entry
        esite = self.entry_site(e)
        at = esite
        # Arriving from Microsoft, the NAT (facing Microsoft) comes first, then the devices.
        my_holder = self.nat_holder(e)
        reached = holder is None
        taddr = IPv4Address(translated)
        blockers: list[str] = []
        culprit: tuple[str, ...] = ()
        if holder is not None and my_holder == holder:
            b.add(holder, HopKind.NAT, "un-snat", dst=client, note="holds the NAT state")
            reached = True
        elif holder is not None and any(taddr in p for p in self.nat_pool(e)):
            blockers.append(f"its NAT ({my_holder}) holds no state for {translated}")
            culprit = (*self.entry_culprit(e), "snat_pool")
        for sid, dname in self.entry_devices(e):
            if sid not in seen:
                blockers.append(f"stateful device {dname} did not see the request")
                if not culprit:
                    culprit = (
                        ("devices", dname)
                        if dname in self.design.devices
                        else (*self.entry_culprit(e), "devices")
                    )
            elif not blockers:
                b.add(f"device {dname}", HopKind.DEVICE, note="has the connection state")
        if blockers:
            b.add(f"{e.label}", HopKind.DEVICE, "drop", note="; ".join(blockers))
            return b.end(
                e.label,
                Disposition.DROPPED,
                symmetric=False,
                reason=f"the reply to {translated} comes back through {e.label}: "
                + "; ".join(blockers)
                + " - dropped",
                culprit=culprit,
            )
        if not reached:
            # Routed inside to whoever owns the translated address.
            owner = self._owner_site(fwd_entry)
            if not self._wan(b, at, owner):
                return b.end(
                    e.label,
                    Disposition.BLACKHOLE,
                    symmetric=False,
                    reason=f"the reply to {translated} arrives through {e.label} and never "
                    f"reaches the NAT that translated it ({holder})",
                    culprit=(*self.entry_culprit(e), "advertises"),
                )
            b.add(str(holder), HopKind.NAT, "un-snat", dst=client, note="holds the NAT state")
            at = owner
        reason = (
            ""
            if symmetric
            else (
                f"the request leaves by {fwd_entry.label} but Microsoft sends the reply "
                f"through {e.label}"
            )
        )
        return _Pending(
            tuple(b.hops),
            b.latency,
            b.src,
            b.dst,
            at,
            e.label,
            symmetric,
            reason,
            () if symmetric else (*self.entry_culprit(e), "advertises"),
            self.entry_culprit(e),
        )

    def _owner_site(self, e: Entry) -> str:
        holder = self.nat_holder(e)
        if holder is not None:
            d = self.design.devices.get(holder.split("/")[0])
            if d is not None:
                return d.site
        return self.entry_site(e)

    # -- inbound -----------------------------------------------------------------------------
    def dnat_entries(self, service: str) -> set[Entry]:
        """The entries that hold the service's destination-NAT mapping."""
        s = self.design.services[service]
        out: set[Entry] = set()
        for name in s.entry:
            if name == ENTRY_INTERNET:
                b = self.routing.site_breakout(s.site)
                if b is not None and b in self.design.breakouts:
                    out.add(Entry(Via.INTERNET, b))
            elif name == ENTRY_EXPRESSROUTE:
                for c in self.design.circuits:
                    out.update(self.circuit_entries(c))
            elif name in self.design.circuits:
                out.update(self.circuit_entries(name))
            elif name in self.design.breakouts:
                out.add(Entry(Via.INTERNET, name))
        return out

    def inbound_snat(self, service: str, e: Entry) -> IPv4Network | None:
        s = self.design.services[service]
        pool = s.inbound_snat.get(e.name)
        if pool is None:
            generic = ENTRY_EXPRESSROUTE if e.via is Via.EXPRESSROUTE else ENTRY_INTERNET
            if e.via is Via.INTERNET and self.routing.site_breakout(s.site) != e.name:
                generic = ""
            pool = s.inbound_snat.get(generic) if generic else None
        if pool is None and e.via is Via.EXPRESSROUTE:
            pool = self.design.circuits[e.name].inbound_snat_pool
        return pool

    def initiator(self, service: str) -> tuple[EndpointSet | None, FrontEnd | None]:
        s = self.design.services[service]
        area = s.initiator
        found = self.catalogs.service(area)
        if found is not None and found.service_area is not None:
            area = found.service_area
        sets = self.catalogs.sets_for_service_area(area)
        es = None
        if sets:
            er = [x for x in sets if x.express_route and x.ips]
            es = (er or [x for x in sets if x.ips] or list(sets))[0]
        geo = s.initiator_geography or self.design.tenant.geography
        return es, self.catalogs.home_front_end(geo)

    def inbound(self, service: str) -> list[Flow]:
        s = self.design.services[service]
        es, fe = self.initiator(service)
        if fe is None:
            fe = self.tenant_front_end
        if fe is None:
            fe = self.catalogs.front_ends[0]
        src = str(self.catalogs.front_end_address(es, fe)) if es and es.ips else f"{s.initiator}"
        users = 0

        def flow(trace: Trace, entry: str) -> Flow:
            return Flow(
                Direction.INBOUND,
                service,
                s.fqdn,
                es.id if es else None,
                users,
                trace,
                s.site,
                False,
                None,
                entry,
                bool(es and es.express_route),
            )

        b = _Builder(src=src, dst=s.fqdn, detail=self.detail)
        b.add(f"{s.initiator} at {fe.name}", HopKind.FRONT_END, "originate")
        b.add(
            "public DNS", HopKind.DNS, "resolve", dst=str(s.dns_record), note=f"{s.fqdn} A record"
        )
        if s.dns_record != s.public_address:
            fwd = b.end(
                "",
                Disposition.UNREACHABLE,
                reason=f"public DNS sends {s.fqdn} to {s.dns_record}, but the service is "
                f"published on {s.public_address}",
                culprit=("services", service, "dns_record"),
            )
            return [
                flow(self._single(fwd, Outcome.UNREACHABLE, fwd.culprit, fe, None, ZERO), "dns")
            ]
        choice = self.routing.microsoft_choice(s.public_address)
        if not choice:
            fwd = b.end(
                "",
                Disposition.UNREACHABLE,
                reason=f"Microsoft has no route to {s.public_address}: no circuit or breakout "
                "advertises a covering prefix",
                culprit=("services", service, "public_address"),
            )
            return [
                flow(self._single(fwd, Outcome.UNREACHABLE, fwd.culprit, fe, None, ZERO), "none")
            ]
        flows: list[Flow] = []
        for adv in choice:
            entries = (
                self.circuit_entries(adv.name)
                if adv.via is Via.EXPRESSROUTE
                else [Entry(Via.INTERNET, adv.name)]
            )
            for e in entries:
                flows.append(flow(self._trace_inbound(service, e, adv, fe, es, b), e.label))
        return flows

    def _trace_inbound(
        self,
        service: str,
        e: Entry,
        adv: Advert,
        fe: FrontEnd,
        es: EndpointSet | None,
        start: _Builder,
    ) -> Trace:
        s = self.design.services[service]
        b = _Builder(list(start.hops), start.latency, start.src, start.dst, self.detail)
        initiator_addr = b.src
        b.add(
            f"Microsoft edge for {e.label}",
            HopKind.BACKBONE,
            latency=self.geo.backbone(self.geo.fe_point(fe), self._ms_point(e)),
            note=f"route {adv.prefix}",
        )
        esite = self.entry_site(e)
        if e.via is Via.EXPRESSROUTE:
            b.add(
                f"circuit {e.name}" + (f" {e.link}" if e.link else ""),
                HopKind.CIRCUIT,
                latency=self._entry_leg(e),
            )
        else:
            b.add(
                f"breakout {e.name}",
                HopKind.BREAKOUT,
                latency=self._entry_leg(e),
                note="internet perimeter",
            )
        seen: set[str] = set()
        for sid, dname in self.entry_devices(e):
            seen.add(sid)
            b.add(f"device {dname}", HopKind.DEVICE, note="stateful: records the connection")
        dnat_at = self.dnat_entries(service)
        public = str(s.public_address)
        server = public
        dnat = s.internal_address is not None
        if dnat:
            if e not in dnat_at:
                fwd = b.end(
                    e.label,
                    Disposition.BLACKHOLE,
                    reason=f"Microsoft enters by {e.label}, which holds no destination-NAT "
                    f"mapping for {public}",
                    culprit=("services", service, "entry"),
                )
                return self._single(fwd, Outcome.BLACKHOLE, fwd.culprit, fe, None, ZERO, esite, e)
            server = str(s.internal_address)
            b.add(
                f"dnat at {e.label}", HopKind.NAT, "dnat", dst=server, note=f"{public} -> {server}"
            )
        pool = self.inbound_snat(service, e)
        if pool is not None:
            b.add(
                f"inbound snat at {e.label}",
                HopKind.NAT,
                "snat",
                src=str(_first_host(pool)),
                note="inbound source NAT",
            )
        if not self._wan(b, esite, s.site):
            fwd = b.end(
                e.label,
                Disposition.BLACKHOLE,
                reason=f"{esite} cannot reach {s.site} over the WAN",
                culprit=("services", service, "site"),
            )
            return self._single(fwd, Outcome.BLACKHOLE, fwd.culprit, fe, None, ZERO, esite, e)
        b.add(f"server {service} at {s.site}", HopKind.SERVER, "accept")
        fwd = b.end(e.label, Disposition.DELIVERED)
        ret = self._inbound_reply(
            service, e, fe, es, pool, dnat, dnat_at, seen, initiator_addr, server, public
        )
        route = None
        return self._combine(fwd, [ret], fe, route, ZERO, esite, e)

    def _inbound_reply(
        self,
        service: str,
        e: Entry,
        fe: FrontEnd,
        es: EndpointSet | None,
        pool: IPv4Network | None,
        dnat: bool,
        dnat_at: set[Entry],
        seen: set[str],
        initiator_addr: str,
        server: str,
        public: str,
    ) -> Path:
        s = self.design.services[service]
        esite = self.entry_site(e)
        if pool is not None:
            b = _Builder(src=server, dst=str(_first_host(pool)), detail=self.detail)
            b.add(f"server {service} at {s.site}", HopKind.SERVER, "reply")
            self._wan(b, s.site, esite)
            b.add(
                f"inbound snat at {e.label}",
                HopKind.NAT,
                "un-snat",
                dst=initiator_addr,
                note="the reply returns to the pool's owner",
            )
            if dnat:
                b.add(f"dnat at {e.label}", HopKind.NAT, "un-dnat", src=public)
            return self._reply_out(b, e, fe, esite, symmetric=True)
        # No inbound source NAT: the server's site routes toward the initiator itself.
        b = _Builder(src=server, dst=initiator_addr, detail=self.detail)
        b.add(f"server {service} at {s.site}", HopKind.SERVER, "reply")
        if es is None:
            return b.end(
                "",
                Disposition.BLACKHOLE,
                symmetric=False,
                reason=f"unknown initiator {s.initiator}",
            )
        cls = DestClass.of(es, fe)
        route = self.routing.lookup(s.site, cls)
        if route.via is Via.NONE:
            return b.end(
                "",
                Disposition.BLACKHOLE,
                symmetric=False,
                reason=f"the server's site {s.site} has no route back: {route.why}",
                culprit=("sites", s.site),
            )
        if route.via is Via.EXPRESSROUTE:
            assert route.circuit is not None
            r = self.circuit_entries(route.circuit)[0]
        else:
            assert route.breakout is not None
            r = Entry(Via.INTERNET, route.breakout)
        rsite = self.entry_site(r)
        self._wan(b, s.site, rsite)
        symmetric = r == e
        how = (
            f"{s.site} routes the reply to {initiator_addr} by "
            + ("its ExpressRoute route" if r.via is Via.EXPRESSROUTE else "its default route")
            + f" through {r.label}"
        )
        if symmetric:
            if dnat:
                b.add(f"dnat at {e.label}", HopKind.NAT, "un-dnat", src=public)
            return self._reply_out(b, e, fe, rsite, symmetric=True)
        culprit_site = (
            ("sites", s.site, "er_routes")
            if r.via is Via.EXPRESSROUTE
            else ("services", service, "inbound_snat")
        )
        blockers: list[str] = []
        if dnat:
            if r in dnat_at:
                b.add(
                    f"dnat at {r.label}",
                    HopKind.NAT,
                    "un-dnat",
                    src=public,
                    note="same static mapping",
                )
            else:
                blockers.append(
                    f"it bypasses the destination NAT at {e.label} and leaves with the private "
                    f"source {server}"
                )
        for sid, dname in self.entry_devices(r):
            if sid not in seen:
                blockers.append(f"stateful device {dname} did not see the request")
        if r.via is Via.EXPRESSROUTE and not blockers:
            c = self.design.circuits[r.name]
            src_addr = IPv4Address(b.src)
            if not any(src_addr in p for p in c.advertises):
                blockers.append(
                    f"{b.src} is outside {r.name}'s advertisements: Microsoft's inbound filter "
                    "drops it"
                )
        if blockers:
            b.add(r.label, HopKind.DEVICE, "drop", note="; ".join(blockers))
            return b.end(
                r.label,
                Disposition.DROPPED,
                symmetric=False,
                reason=f"the request enters by {e.label} but {how}: "
                + "; ".join(blockers)
                + " - dropped",
                culprit=("services", service, "inbound_snat"),
            )
        path = self._reply_out(b, r, fe, rsite, symmetric=False)
        return Path(
            path.via,
            path.hops,
            path.disposition,
            path.latency,
            False,
            f"the request enters by {e.label} but {how}",
            culprit_site,
        )

    def _reply_out(self, b: _Builder, e: Entry, fe: FrontEnd, at: str, *, symmetric: bool) -> Path:
        if e.via is Via.EXPRESSROUTE:
            b.add(
                f"circuit {e.name}" + (f" {e.link}" if e.link else ""),
                HopKind.CIRCUIT,
                latency=self._entry_leg(e),
            )
        else:
            b.add(f"breakout {e.name}", HopKind.BREAKOUT, latency=self._entry_leg(e))
        b.add(
            f"{fe.name}",
            HopKind.FRONT_END,
            "deliver",
            latency=self.geo.backbone(self._ms_point(e), self.geo.fe_point(fe)),
        )
        return b.end(e.label, Disposition.DELIVERED, symmetric=symmetric)

    # -- all flows ---------------------------------------------------------------------------
    def outbound_sets(self) -> list[EndpointSet]:
        """The endpoint sets of the tenant's services (ExpressRoute-able or not)."""
        if self._sets is None:
            wanted = {s.casefold() for s in self.design.tenant.services}
            self._sets = [
                es for es in self.catalogs.endpoint_sets if es.service_area.casefold() in wanted
            ]
            self._names = [es.urls[0] if es.urls else f"endpoint set {es.id}" for es in self._sets]
        return list(self._sets)

    def outbound_names(self) -> list[str]:
        """The FQDN each outbound set's flows are named by (its first URL)."""
        self.outbound_sets()
        return list(self._names)

    def outbound_origins(self) -> Iterator[OriginFlows]:
        """Every origin site with users and the trace of each outbound set, in set order."""
        sets = self.outbound_sets()
        # Sets of one destination class share their trace at a site: trace once per class,
        # with the class's first set (its address is the one the trace shows).
        index: dict[DestClass, int] = {}
        classes: list[tuple[DestClass, EndpointSet]] = []
        of_set: list[int] = []
        for es in sets:
            cls = DestClass(es.express_route, es.community, None)
            i = index.get(cls)
            if i is None:
                i = index[cls] = len(classes)
                classes.append((cls, es))
            of_set.append(i)
        for site, s in self.design.sites.items():
            if s.users <= 0:
                continue
            # The proxy decision and resolution depend only on ExpressRoute-ability: decide
            # twice per site, then every class is a cache lookup.
            ctx: dict[bool, tuple[str, bool, str | None, FrontEnd]] = {}
            traces: list[Trace] = []
            for cls, es in classes:
                c = ctx.get(es.express_route)
                if c is None:
                    start, proxied = self.outbound_start(site, es)
                    resolver, rpoint = self.resolver_point(start)
                    c = (start, proxied, resolver, self.geo.nearest_front_end(rpoint))
                    ctx[es.express_route] = c
                start, proxied, resolver, fe = c
                key = (site, start, resolver, fe.name, cls)
                trace = self._out_cache.get(key)
                if trace is None:
                    trace = self._trace_outbound(site, start, proxied, resolver, fe, es, cls)
                    self._out_cache[key] = trace
                traces.append(trace)
            yield OriginFlows(
                site,
                s.users,
                {k: v[:3] for k, v in ctx.items()},
                tuple(traces[i] for i in of_set),
            )

    def outbound_flow(self, o: OriginFlows, i: int) -> Flow:
        """The flow of origin ``o`` to the ``i``-th outbound set."""
        assert self._sets is not None
        es = self._sets[i]
        start, proxied, resolver = o.contexts[es.express_route]
        return Flow(
            Direction.OUTBOUND,
            o.site,
            self._names[i],
            es.id,
            o.users,
            o.traces[i],
            start,
            proxied,
            resolver,
            None,
            es.express_route,
        )

    def all_flows(self) -> Iterator[Flow]:
        for o in self.outbound_origins():
            for i in range(len(o.traces)):
                yield self.outbound_flow(o, i)
        for service in self.design.services:
            yield from self.inbound(service)


def derive_flows(design: Design, catalogs: Catalogs, *, detail: bool = False) -> list[Flow]:
    return list(FlowEngine(design, catalogs, detail=detail).all_flows())


def find_sets(catalogs: Catalogs, fqdn: str) -> Iterable[EndpointSet]:
    return catalogs.sets_for_fqdn(fqdn)
