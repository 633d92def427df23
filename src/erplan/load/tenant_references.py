"""Stage 2 of loading, part 2: the references of the tenant and of what talks to Microsoft 365
by itself (``references``): the tenant's geography, services and Dynamics 365 regions (their
prefixes apart from the design's own addresses and from each other's), servers' targets in the
endpoint catalog, inbound services' entry paths, pools and initiators."""

from __future__ import annotations

import ipaddress
from typing import Any

from erplan.catalogs import Catalogs
from erplan.load.reference_base import Checker, network
from erplan.load.source import ObjectPath, dotted
from erplan.model import ENTRY_EXPRESSROUTE, ENTRY_INTERNET
from erplan.names import closest, did_you_mean


class TenantChecks(Checker):
    """The tenant's and the services' references (``Checker``'s reporting)."""

    def _check_tenant(self) -> None:
        """The tenant's geography, services and Dynamics 365 regions against the catalogs."""
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

    def _check_dynamics(self, tenant: dict[str, Any], cat: Catalogs) -> None:
        """Dynamics 365 regions the catalog knows, with prefixes apart from the design's own
        addresses and from each other's."""
        dynamics = tenant.get("dynamics")
        if not isinstance(dynamics, dict):
            return
        own = design_networks(self.data)
        seen: list[tuple[ipaddress.IPv4Network, str]] = []
        for region, env in dynamics.items():
            p: ObjectPath = ("tenant", "dynamics", region)
            self._catalog("ERP041", p, region, "Dynamics 365 region", cat.dynamics_region, key=True)
            if not isinstance(env, dict):
                continue
            for i, value in self._list(env, "prefixes"):
                net = network(value)
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


def design_networks(data: dict[str, Any]) -> list[ipaddress.IPv4Network]:
    """Every address range the design itself uses: site prefixes, NAT pools, advertisements,
    peer subnets (for the Dynamics 365 prefixes, which must stay apart)."""
    out: list[ipaddress.IPv4Network] = []

    def add(value: Any) -> None:
        for v in value if isinstance(value, list) else [value]:
            net = network(v) if v is not None else None
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
