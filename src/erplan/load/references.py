"""Stage 2 of loading, part 2: references between objects and to the catalogs.

Checked on the plain data, not the model, so that they are reported in the same run as type
errors elsewhere in the file; values of the wrong type are left to the type-error findings, and
values already reported (a name with forbidden characters) are not echoed again.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from typing import Any

from erplan.catalogs import Catalogs
from erplan.diagnostics import Finding, Severity
from erplan.load.source import ObjectPath, SourceMap, dotted
from erplan.model import ENTRY_EXPRESSROUTE, ENTRY_INTERNET
from erplan.names import closest, did_you_mean

__all__ = ["check_references"]

MAX_LISTED = 8  # names listed after an undefined reference when none is close


def check_references(
    data: dict[str, Any],
    source: SourceMap,
    catalogs: Catalogs | None,
    reported: set[ObjectPath] = frozenset(),  # type: ignore[assignment]
) -> list[Finding]:
    """Every undefined reference, unknown catalog name and contradiction between values."""
    return _Checker(data, source, catalogs, reported).run()


class _Checker:
    """References between objects and to the catalogs, checked on the plain data.

    Working on the mapping (not the model) lets these be reported in the same run as type
    errors elsewhere in the file; values of the wrong type are left to pydantic's findings.
    """

    def __init__(
        self,
        data: dict[str, Any],
        source: SourceMap,
        catalogs: Catalogs | None,
        reported: set[ObjectPath],
    ) -> None:
        self.data = data
        self.source = source
        self.catalogs = catalogs
        self.reported = reported
        self.findings: list[Finding] = []

        def names(section: str) -> dict[str, None]:  # ordered, for messages; O(1) lookups
            value = data.get(section)
            if not isinstance(value, dict):
                return {}
            return dict.fromkeys(k for k in value if (section, k) not in reported)

        self.sites = names("sites")
        self.breakouts = names("breakouts")
        self.circuits = names("circuits")
        self.devices = names("devices")
        self.workloads = names("workloads")
        self.workloads.setdefault("default", None)

    def _done(self, path: ObjectPath) -> bool:
        """Whether ``path`` or an ancestor was reported already (its text is not shown)."""
        return bool(self.reported) and any(path[:i] in self.reported for i in range(len(path) + 1))

    def _add(self, code: str, path: ObjectPath, message: str, key: bool = False) -> None:
        if self._done(path):
            return
        loc = self.source.key_where(path) if key else self.source.where(path)
        self.findings.append(Finding(code, Severity.ERROR, message, loc, subject=dotted(path)))

    def _ref(
        self, code: str, path: ObjectPath, value: Any, kind: str, known: dict[str, None]
    ) -> None:
        if isinstance(value, str) and value not in known:
            first = list(known)[:MAX_LISTED]
            listed = f"defined: {', '.join(first)}{', ...' if len(known) > MAX_LISTED else ''}"
            hint = (did_you_mean(value, known) or f" ({listed})") if known else f" (no {kind}s)"
            self._add(code, path, f"{dotted(path)}: undefined {kind} {value!r}{hint}")

    def _catalog(
        self,
        code: str,
        path: ObjectPath,
        value: Any,
        kind: str,
        lookup: Callable[[str], object],
        key: bool = False,
    ) -> None:
        if not isinstance(value, str) or lookup(value) is not None:
            return
        assert self.catalogs is not None
        close = closest(value, _catalog_names(self.catalogs, kind))
        hint = f"; did you mean {close!r}?" if close is not None else " (see `erplan catalog`)"
        self._add(code, path, f"{dotted(path)}: unknown {kind} {value!r}{hint}", key=key)

    def _items(self, section: str) -> Iterator[tuple[str, dict[str, Any]]]:
        value = self.data.get(section)
        if isinstance(value, dict):
            for name, obj in value.items():
                if isinstance(obj, dict):
                    yield name, obj

    def _list(self, obj: dict[str, Any], key: str) -> Iterator[tuple[int, Any]]:
        value = obj.get(key)
        if isinstance(value, list):
            yield from enumerate(value)

    def _silence(self, path: ObjectPath, obj: dict[str, Any]) -> None:
        silence = obj.get("silence")
        if isinstance(silence, dict):
            for code, reason in silence.items():
                if reason is None or (isinstance(reason, str) and not reason.strip()):
                    self._add(
                        "ERP028",
                        (*path, "silence", code),
                        f"{dotted((*path, 'silence', code))}: silencing {code} needs a reason",
                    )

    def run(self) -> list[Finding]:
        cat = self.catalogs
        tenant = self.data.get("tenant")
        if isinstance(tenant, dict) and cat is not None:
            self._catalog(
                "ERP026",
                ("tenant", "geography"),
                tenant.get("geography"),
                "geography",
                cat.geography,
            )
            for i, svc in self._list(tenant, "services"):
                self._catalog("ERP027", ("tenant", "services", i), svc, "service", cat.service)
            self._check_dynamics(tenant, cat)
        self._check_sites()
        self._check_wan()
        for name, b in self._items("breakouts"):
            p = ("breakouts", name)
            self._ref("ERP020", (*p, "site"), b.get("site"), "site", self.sites)
            for i, d in self._list(b, "devices"):
                self._ref("ERP023", (*p, "devices", i), d, "device", self.devices)
            self._silence(p, b)
        self._check_circuits()
        self._check_services()
        self._check_servers()
        for name, d in self._items("devices"):
            self._ref("ERP020", ("devices", name, "site"), d.get("site"), "site", self.sites)
            egress = d.get("egress")
            if egress != "cloud":
                self._ref("ERP021", ("devices", name, "egress"), egress, "breakout", self.breakouts)
            self._ref(
                "ERP023", ("devices", name, "upstream"), d.get("upstream"), "device", self.devices
            )
            self._kind(("devices", name, "upstream"), d.get("upstream"), "proxy")
            if d.get("upstream") == name:
                self._add(
                    "ERP028",
                    ("devices", name, "upstream"),
                    f"devices.{name}.upstream: a proxy cannot forward to itself",
                )
            if d.get("static_nat") is True and d.get("kind", "firewall") != "nat":
                self._add(
                    "ERP028",
                    ("devices", name, "static_nat"),
                    f"devices.{name}.static_nat: only a device of kind nat translates "
                    f"addresses (this one is {d.get('kind', 'firewall')!r})",
                )
            self._silence(("devices", name), d)
        self._check_security()
        return self.findings

    def _check_security(self) -> None:
        """Sites named by the security model: IPVPN egress sites, security locations."""
        for name, c in self._items("circuits"):
            p = ("circuits", name)
            for i, site in self._list(c, "ipvpn_sites"):
                self._ref("ERP020", (*p, "ipvpn_sites", i), site, "site", self.sites)
            if c.get("ipvpn_sites") and c.get("connectivity", "ipvpn") != "ipvpn":
                self._add(
                    "ERP028",
                    (*p, "ipvpn_sites"),
                    f"{dotted(p)}.ipvpn_sites: only an any-to-any IPVPN has sites egressing "
                    f"into it (connectivity is {c.get('connectivity')!r})",
                )
            elif c.get("ipvpn_sites") and "connectivity" not in c:
                self._add(
                    "ERP028",
                    (*p, "ipvpn_sites"),
                    f"{dotted(p)}.ipvpn_sites: set `connectivity: ipvpn` to name sites "
                    "egressing into an IPVPN",
                )
        policy = self.data.get("security")
        if isinstance(policy, dict):
            for i, site in self._list(policy, "locations"):
                self._ref("ERP020", ("security", "locations", i), site, "site", self.sites)

    def _check_sites(self) -> None:
        cat = self.catalogs
        for name, s in self._items("sites"):
            p = ("sites", name)
            if cat is not None:
                self._catalog("ERP025", (*p, "location"), s.get("location"), "place", cat.place)
            self._ref("ERP021", (*p, "breakout"), s.get("breakout"), "breakout", self.breakouts)
            self._ref("ERP029", (*p, "workload"), s.get("workload"), "workload", self.workloads)
            self._ref(
                "ERP021",
                (*p, "resolver_egress"),
                s.get("resolver_egress"),
                "breakout",
                self.breakouts,
            )
            proxy = s.get("proxy")
            if isinstance(proxy, dict):
                self._ref("ERP020", (*p, "proxy", "site"), proxy.get("site"), "site", self.sites)
                self._ref(
                    "ERP023", (*p, "proxy", "device"), proxy.get("device"), "device", self.devices
                )
                self._kind((*p, "proxy", "device"), proxy.get("device"), "proxy")
            for i, d in self._list(s, "devices"):
                self._ref("ERP023", (*p, "devices", i), d, "device", self.devices)
            self._silence(p, s)

    def _check_wan(self) -> None:
        wan = self.data.get("wan")
        if not isinstance(wan, list):
            return
        for i, link in enumerate(wan):
            if not isinstance(link, dict):
                continue
            p: ObjectPath = ("wan", i, "between")
            between = link.get("between")
            if isinstance(between, list):
                for j, site in enumerate(between[:2]):
                    self._ref("ERP020", (*p, j), site, "site", self.sites)
                if len(between) == 2 and isinstance(between[0], str) and between[0] == between[1]:
                    self._add(
                        "ERP028",
                        p,
                        f"{dotted(p)}: a WAN link joins two different sites, "
                        f"not {between[0]!r} to itself",
                    )
            self._silence(("wan", i), link)

    def _check_circuits(self) -> None:
        cat = self.catalogs
        clash = set(self.circuits) & set(self.breakouts)
        for name, c in self._items("circuits"):
            p = ("circuits", name)
            if name in clash:
                self._add(
                    "ERP028",
                    p,
                    f"{dotted(p)}: a breakout has the same name; entry paths "
                    "name circuits and breakouts, so names must differ",
                    key=True,
                )
            if cat is not None:
                self._catalog(
                    "ERP024",
                    (*p, "peering_location"),
                    c.get("peering_location"),
                    "peering location",
                    cat.peering_location,
                )
                for i, svc in self._list(c, "route_filter"):
                    self._catalog("ERP027", (*p, "route_filter", i), svc, "service", cat.service)
                prefs = c.get("region_preference")
                for region in prefs if isinstance(prefs, dict) else ():
                    self._catalog(
                        "ERP040",
                        (*p, "region_preference", region),
                        region,
                        "region",
                        cat.regional_community,
                        key=True,
                    )
            self._ref("ERP020", (*p, "site"), c.get("site"), "site", self.sites)
            for i, d in self._list(c, "devices"):
                self._ref("ERP023", (*p, "devices", i), d, "device", self.devices)
            advertised = _networks(c.get("advertises"))
            links = c.get("links")
            if isinstance(links, dict):
                for link_name, link in links.items():
                    if not isinstance(link, dict):
                        continue
                    lp = (*p, "links", link_name)
                    for i, d in self._list(link, "devices"):
                        self._ref("ERP023", (*lp, "devices", i), d, "device", self.devices)
                    advertised |= _networks(link.get("advertises"))
                    if link.get("snat_pool") is not None and c.get("snat_pool") is not None:
                        self._add(
                            "ERP028",
                            (*lp, "snat_pool"),
                            f"{dotted(lp)}.snat_pool: the circuit already translates before the "
                            "split (snat_pool); a circuit's pool is either before the split or "
                            "per link, not both",
                        )
                    self._silence(lp, link)
            prepend = c.get("prepend")
            if isinstance(prepend, dict):
                for key in prepend:
                    net = _network(key)
                    if net is not None and net not in advertised:
                        self._add(
                            "ERP028",
                            (*p, "prepend", key),
                            f"{dotted(p)}.prepend: {key} is not among the prefixes this circuit "
                            "or its links advertise",
                            key=True,
                        )
            self._silence(p, c)

    def _check_dynamics(self, tenant: dict[str, Any], cat: Catalogs) -> None:
        """Dynamics 365 regions the catalog knows, with prefixes apart from the design's own
        addresses and from each other's."""
        dynamics = tenant.get("dynamics")
        if not isinstance(dynamics, dict):
            return
        own = _design_networks(self.data)
        seen: list[tuple[ipaddress.IPv4Network, str]] = []
        for region, env in dynamics.items():
            p: ObjectPath = ("tenant", "dynamics", region)
            self._catalog("ERP041", p, region, "Dynamics 365 region", cat.dynamics_region, key=True)
            if not isinstance(env, dict):
                continue
            for i, value in self._list(env, "prefixes"):
                net = _network(value)
                if net is None:
                    continue
                clash = next((o for o in own if o.overlaps(net)), None)
                other = next((r for n, r in seen if n.overlaps(net)), None)
                if clash is not None:
                    why = (
                        f"overlaps {clash}, an address of the design itself; Microsoft's "
                        "prefixes and the customer's are disjoint"
                    )
                elif other is not None:
                    why = (
                        f"overlaps a prefix of region {other!r}; a prefix carries the regional "
                        "community of one region"
                    )
                else:
                    seen.append((net, str(region)))
                    continue
                self._add(
                    "ERP042", (*p, "prefixes", i), f"{dotted((*p, 'prefixes', i))}: {net} {why}"
                )

    def _kind(self, path: ObjectPath, name: Any, kind: str) -> None:
        """A reference to a device must name one of that kind."""
        devices = self.data.get("devices")
        if not isinstance(name, str) or not isinstance(devices, dict):
            return
        dev = devices.get(name)
        if isinstance(dev, dict) and dev.get("kind", "firewall") != kind:
            self._add(
                "ERP028",
                path,
                f"{dotted(path)}: device {name!r} is a {dev.get('kind', 'firewall')}, not a {kind}",
            )

    def _check_servers(self) -> None:
        cat = self.catalogs
        tenant = self.data.get("tenant")
        dynamics = tenant.get("dynamics") if isinstance(tenant, dict) else None
        if cat is not None and isinstance(dynamics, dict):
            # A server may connect to the tenant's Dynamics 365 sets (ids and names).
            known = [r for r in dynamics if isinstance(r, str) and cat.dynamics_region(r)]
            cat = cat.for_tenant({r: () for r in known})
        for name, srv in self._items("servers"):
            p = ("servers", name)
            self._ref("ERP020", (*p, "site"), srv.get("site"), "site", self.sites)
            for i, target in self._list(srv, "connects_to"):
                if cat is None or isinstance(target, bool):
                    continue
                if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
                    if cat.endpoint_set(int(target)) is None:
                        self._add(
                            "ERP027",
                            (*p, "connects_to", i),
                            f"servers.{name}.connects_to[{i}]: no endpoint set {target}",
                        )
                    continue
                if not isinstance(target, str):
                    continue
                if cat.service(target) is not None or cat.sets_for_service_area(target):
                    continue
                if not cat.sets_for_fqdn(target):
                    self._add(
                        "ERP027",
                        (*p, "connects_to", i),
                        f"servers.{name}.connects_to[{i}]: {target!r} is neither a service "
                        "area, an endpoint set id nor a host name of the endpoint catalog",
                    )
            self._silence(p, srv)

    def _check_services(self) -> None:
        cat = self.catalogs
        entries = dict.fromkeys(
            [ENTRY_INTERNET, ENTRY_EXPRESSROUTE, *self.circuits, *self.breakouts]
        )
        paths = dict.fromkeys([*self.circuits, *self.breakouts])
        for name, svc in self._items("services"):
            p = ("services", name)
            self._ref("ERP020", (*p, "site"), svc.get("site"), "site", self.sites)
            for i, e in self._list(svc, "entry"):
                self._ref("ERP022", (*p, "entry", i), e, "entry path", entries)
            snat = svc.get("inbound_snat")
            if isinstance(snat, dict):
                for key in snat:
                    if key not in paths:
                        kp = (*p, "inbound_snat", key)
                        hint = did_you_mean(key, paths)
                        self._add(
                            "ERP022",
                            kp,
                            f"{dotted(p)}.inbound_snat: {key!r} is neither "
                            f"a circuit nor a breakout{hint}",
                            key=True,
                        )
            if cat is not None:
                self._catalog(
                    "ERP026",
                    (*p, "initiator_geography"),
                    svc.get("initiator_geography"),
                    "geography",
                    cat.geography,
                )
                self._catalog(
                    "ERP027", (*p, "initiator"), svc.get("initiator"), "service", cat.service
                )
                for i, fe in self._list(svc, "initiator_regions"):
                    if isinstance(fe, str) and cat.front_end(fe) is None:
                        close = closest(fe, [f.name for f in cat.front_ends])
                        hint = f"; did you mean {close!r}?" if close else " (see `erplan catalog`)"
                        self._add(
                            "ERP026",
                            (*p, "initiator_regions", i),
                            f"services.{name}.initiator_regions[{i}]: unknown front end "
                            f"{fe!r}{hint}",
                        )
            self._silence(p, svc)


def _network(value: Any) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(str(value))
    except ValueError:
        return None


def _networks(values: Any) -> set[ipaddress.IPv4Network]:
    if not isinstance(values, list):
        return set()
    return {n for n in (_network(v) for v in values) if n is not None}


def _design_networks(data: dict[str, Any]) -> list[ipaddress.IPv4Network]:
    """Every address range the design itself uses: site prefixes, NAT pools, advertisements,
    peer subnets (for the Dynamics 365 prefixes, which must stay apart)."""
    out: list[ipaddress.IPv4Network] = []

    def add(value: Any) -> None:
        for v in value if isinstance(value, list) else [value]:
            net = _network(v) if v is not None else None
            if net is not None:
                out.append(net)

    def items(section: str) -> list[dict[str, Any]]:
        value = data.get(section)
        return [v for v in value.values() if isinstance(v, dict)] if isinstance(value, dict) else []

    for site in items("sites"):
        add(site.get("prefixes"))
    for b in items("breakouts"):
        add(b.get("nat"))
        add(b.get("advertises"))
    for c in items("circuits"):
        for key in ("snat_pool", "advertises", "primary_subnet", "secondary_subnet"):
            add(c.get(key))
        add(c.get("inbound_snat_pool"))
        links = c.get("links")
        for link in links.values() if isinstance(links, dict) else ():
            if isinstance(link, dict):
                add(link.get("advertises"))
                add(link.get("snat_pool"))
    return out


def _catalog_names(catalogs: Catalogs, kind: str) -> list[str]:
    """Every name a catalog lookup of that kind accepts, for a "did you mean"."""
    if kind == "region":
        return [r.region for r in catalogs.regional_communities]
    if kind == "Dynamics 365 region":
        return [r.region for r in catalogs.dynamics_regions]
    if kind == "peering location":
        return [p.name for p in catalogs.peering_locations]
    if kind == "place":
        return catalogs.place_names()
    if kind == "geography":
        return [n for g in catalogs.geographies for n in (g.name, *g.aliases)]
    return [n for svc in catalogs.services for n in (svc.name, *svc.aliases)]
