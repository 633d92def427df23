"""The plan every PAC file and device list is rendered from: per site, the decision for every
host name, and the findings (ERP901-ERP905) about what a PAC cannot fix or had to change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address

from erplan.analyses.causes import CAUSES
from erplan.catalogs import Catalogs, EndpointSet
from erplan.diagnostics import Finding, Severity
from erplan.generators.decisions import (
    CODE_DIRECT_WITHOUT_ROUTE,
    CODE_NAME_REFUSED,
    CODE_NO_PROXY,
    CODE_NO_TENANT,
    CODE_PROXY_UNNAMED,
    SOURCE,
    LoadedLike,
    Name,
    Plan,
    Planner,
    Route,
    SitePlan,
    catalog_version,
    governing,
    order,
    prune,
)
from erplan.generators.modes import CATEGORY_RANK, Mode
from erplan.generators.names import (
    TENANT_TEMPLATES,
    HostPattern,
    NameRefused,
    parse_pattern,
    tenant_label,
    tenant_names,
)
from erplan.generators.proxies import proxy_target
from erplan.model import ProxyMode

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class _DesignName:
    pattern: HostPattern
    service: str
    address: IPv4Address


class _Builder:
    def __init__(self, loaded: LoadedLike, catalogs: Catalogs, mode: Mode) -> None:
        self.loaded = loaded
        self.design = loaded.design
        self.mode = mode
        self.planner = Planner(self.design, catalogs)
        self.findings: list[Finding] = []
        self.sets = self.planner.sets()
        self.patterns: dict[str, tuple[HostPattern, list[EndpointSet]]] = {}
        for es in self.sets:
            for url in es.urls:
                try:
                    p = parse_pattern(url)
                except NameRefused as why:
                    self._refused(f"endpoint set {es.id} lists {url!r}, which {why}", None)
                    continue
                entry = self.patterns.setdefault(p.text, (p, []))
                if es not in entry[1]:
                    entry[1].append(es)
        self.tenant = self._tenant_names()
        self.own = self._design_names()

    # -- findings --------------------------------------------------------------------------
    def finding(
        self,
        code: str,
        severity: Severity,
        message: str,
        path: Path | None,
        fix: str,
        data: dict[str, object] | None = None,
    ) -> None:
        loc = self.loaded.source.where(path) if path is not None else None
        silenced = None
        if path is not None and len(path) >= 2 and path[0] == "sites":
            silenced = self.design.sites[str(path[1])].silence.get(code)
        subject = ".".join(str(p) for p in path) if path is not None else None
        self.findings.append(
            Finding(code, severity, message, loc, fix, SOURCE, subject, silenced, dict(data or {}))
        )

    def _refused(self, message: str, path: Path | None) -> None:
        self.finding(
            CODE_NAME_REFUSED,
            Severity.WARNING,
            f"{message}: left out of PAC files and lists (such a host goes to the proxy)",
            path,
            "correct the name; a host pattern holds letters, digits, hyphens, dots and '*'",
        )

    # -- names that come from the design --------------------------------------------------------
    def _tenant_names(self) -> list[HostPattern]:
        present = {src for src, _ in TENANT_TEMPLATES if src in self.patterns}
        name = self.design.tenant.name
        if name is None:
            if present:
                self.finding(
                    CODE_NO_TENANT,
                    Severity.INFO,
                    "the tenant has no name: its own names ("
                    + ", ".join(sorted(present))
                    + " with the tenant's name in place of '*') are not listed in PAC files",
                    ("tenant",),
                    "give tenant.name (the first label of <name>.onmicrosoft.com)",
                )
            return []
        try:
            label = tenant_label(name)
        except NameRefused as why:
            self._refused(f"the tenant name {name!r} {why}", ("tenant", "name"))
            return []
        return [parse_pattern(t) for t in tenant_names(label, present)]

    def _design_names(self) -> list[_DesignName]:
        out: list[_DesignName] = []
        for name, svc in self.design.services.items():
            try:
                p = parse_pattern(svc.fqdn)
                if p.wildcard:
                    raise NameRefused("is a wildcard, not the name of one service")
            except NameRefused as why:
                self._refused(
                    f"the name {svc.fqdn!r} of service {name} {why}", ("services", name, "fqdn")
                )
                continue
            out.append(_DesignName(p, name, svc.dns_record))
        return out

    # -- one site ---------------------------------------------------------------------------
    def site(self, name: str) -> SitePlan | str:
        """The site's plan, or why it gets no PAC file."""
        site = self.design.sites[name]
        if site.users == 0:
            return "no users"
        if site.proxy.mode is ProxyMode.DIRECT:
            self._no_proxy(name)
            return "no proxy (proxy.mode: direct): its clients use no PAC file"
        target, problem = proxy_target(self.design, name)
        if problem is not None:
            self.finding(
                CODE_PROXY_UNNAMED,
                problem.severity,
                problem.message,
                problem.path,
                "give the proxy device an address (and port), or proxy.address as host:port",
            )
        if target is None:
            return "its proxy cannot be named in a PAC file"
        ok: dict[int, Route | None] = {}
        for es in self.sets:
            if self.planner.proxied_by_design(name, es):
                ok[es.id] = None
            else:
                ok[es.id] = self.planner.route(name, es, proxied=False)
        self._direct_without_route(name, ok)
        good = {i for i, r in ok.items() if r is not None and r.by_expressroute}
        allowed = self.mode.categories
        names: dict[str, Name] = {}
        for p, sets in self.patterns.values():
            names[p.text] = self._decide(p, sets, good, "catalog")
        catalog = [p for p, _ in self.patterns.values()]
        for t in self.tenant:
            if t.text not in names:
                sets = [es for g in governing(t.text, catalog) for es in self.patterns[g.text][1]]
                names[t.text] = self._decide(t, sets, good, "tenant")
        for own in self.own:
            inside = self.planner.internal(name, own.address)
            where = "routed inside the network" if inside else "not routed inside the network"
            note = f"service {own.service} at {own.address}: {where}"
            names[own.pattern.text] = Name(own.pattern, inside, (), "design", note)
        direct_sets = frozenset(
            es.id for es in self.sets if es.id in good and es.category in allowed
        )
        circuits: dict[str, None] = {}
        for i in sorted(direct_sets):
            route = ok[i]
            assert route is not None
            for path in route.paths:
                circuits.setdefault(path.split(":", 1)[1], None)
        return SitePlan(
            name,
            f"PROXY {target}",
            tuple(prune(order(names.values()))),
            tuple(self.sets),
            direct_sets,
            tuple(circuits),
        )

    def _decide(self, p: HostPattern, sets: list[EndpointSet], good: set[int], origin: str) -> Name:
        ids = tuple(sorted({es.id for es in sets}))
        if not sets:
            return Name(p, False, ids, origin, "no endpoint set of the tenant")
        category = min((es.category for es in sets), key=lambda c: CATEGORY_RANK.get(c, 9))
        areas = "/".join(sorted({es.service_area for es in sets}))
        label = f"set {', '.join(map(str, ids))} {areas} {category}"
        routed = all(es.id in good for es in sets)
        if routed and category in self.mode.categories:
            return Name(p, True, ids, origin, f"{label}: ExpressRoute")
        if routed:
            why = f"not in --mode {self.mode.value}"
        elif any(es.express_route for es in sets):
            why = "ExpressRoute-able, but not routed over ExpressRoute from this site"
        else:
            why = "internet only"
        return Name(p, False, ids, origin, f"{label}: {why}")

    def _direct_without_route(self, site: str, ok: dict[int, Route | None]) -> None:
        """ERP901: the design's PAC sends ExpressRoute-able names DIRECT without a route."""
        misses = [
            (es, r)
            for es in self.sets
            if es.urls and (r := ok[es.id]) is not None and not r.by_expressroute
        ]
        if not misses:
            return
        # Sets that fail alike are named together: one reason, its share, the sets.
        alike: dict[tuple[str, str], list[EndpointSet]] = {}
        for es, r in misses:
            alike.setdefault((f"{1 - r.expressroute:.0%}", r.reason), []).append(es)
        shown = "; ".join(
            f"set{'s' if len(sets) != 1 else ''} "
            + ", ".join(f"{es.id} ({es.urls[0]})" for es in sets)
            + f": {part} {reason}"
            for (part, reason), sets in alike.items()
        )
        # The fix follows the reason a set has no ExpressRoute route, where verify names one.
        fixes = {CAUSES[r.missing][1]: None for _, r in misses if r.missing}
        fix = (
            "; ".join(fixes) + "; or use erplan's PAC file, which sends these names to the proxy"
            if fixes
            else "admit the service in a circuit's route filter, propagate the routes to the "
            "site, or use erplan's PAC file, which sends these names to the proxy"
        )
        culprits = {".".join(map(str, r.culprit)): None for _, r in misses if r.culprit}
        self.finding(
            CODE_DIRECT_WITHOUT_ROUTE,
            Severity.WARNING,
            f"site {site}: its PAC mode sends the ExpressRoute-able names of "
            f"{len(misses)} endpoint set{'s' if len(misses) != 1 else ''} DIRECT, but its "
            f"connections to them do not all leave by ExpressRoute ({shown}); erplan's PAC "
            "file sends those names to the proxy",
            ("sites", site, "proxy", "mode"),
            fix,
            {"sets": [es.id for es, _ in misses], "culprits": list(culprits)},
        )

    def _no_proxy(self, site: str) -> None:
        """ERP902: no proxy, and the perimeter lets no client out."""
        if self.design.sites[site].proxy.direct_internet:
            return
        stuck = [
            es.id
            for es in self.sets
            if not self.planner.route(site, es, proxied=False).by_expressroute
        ]
        if not stuck:
            return
        self.finding(
            CODE_NO_PROXY,
            Severity.ERROR,
            f"site {site} has no proxy (proxy.mode: direct) and its clients may not reach the "
            f"internet directly: {len(stuck)} endpoint set{'s' if len(stuck) != 1 else ''} "
            "that do not go over ExpressRoute have no way out, and no PAC file can give one",
            ("sites", site, "proxy", "direct_internet"),
            "give the site a proxy (proxy.mode: pac and proxy.device) or allow direct internet",
            {"sets": stuck},
        )


def plan(
    loaded: LoadedLike,
    catalogs: Catalogs,
    *,
    mode: Mode = Mode.ALL,
    sites: Iterable[str] | None = None,
    file: str = "",
) -> Plan:
    """Every selected site's PAC decisions (all sites with users by default)."""
    b = _Builder(loaded, catalogs, mode)
    chosen = list(sites) if sites is not None else list(loaded.design.sites)
    out: list[SitePlan] = []
    skipped: list[tuple[str, str]] = []
    for name in chosen:
        got = b.site(name)
        if isinstance(got, str):
            skipped.append((name, got))
        else:
            out.append(got)
    return Plan(
        loaded.design, file, mode, catalog_version(catalogs), out, skipped, b.findings, b.planner
    )
