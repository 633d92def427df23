"""Stage 2 of loading, part 2: references between objects and to the catalogs.

Checked on the plain data, not the model, so that they are reported in the same run as type
errors elsewhere in the file; values of the wrong type are left to the type-error findings, and
values already reported (a name with forbidden characters) are not echoed again.
"""

from __future__ import annotations

from typing import Any

from erplan.catalogs import Catalogs
from erplan.diagnostics import Finding
from erplan.load.reference_base import network, networks
from erplan.load.source import ObjectPath, SourceMap, dotted
from erplan.load.tenant_references import TenantChecks

__all__ = ["check_references"]


def check_references(
    data: dict[str, Any],
    source: SourceMap,
    catalogs: Catalogs | None,
    reported: set[ObjectPath] = frozenset(),  # type: ignore[assignment]
) -> list[Finding]:
    """Every undefined reference, unknown catalog name and contradiction between values."""
    return _Checker(data, source, catalogs, reported).run()


class _Checker(TenantChecks):
    """Every reference of the design: the tenant's and the services' (``TenantChecks``), and
    those of the network's objects - sites, WAN links, breakouts, circuits, devices and the
    security model."""

    def run(self) -> list[Finding]:
        self._check_tenant()
        self._check_sites()
        self._check_wan()
        self._check_breakouts()
        self._check_circuits()
        self._check_services()
        self._check_servers()
        self._check_devices()
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

    def _check_breakouts(self) -> None:
        for name, b in self._items("breakouts"):
            p = ("breakouts", name)
            self._ref("ERP020", (*p, "site"), b.get("site"), "site", self.sites)
            for i, d in self._list(b, "devices"):
                self._ref("ERP023", (*p, "devices", i), d, "device", self.devices)
            self._silence(p, b)

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
            advertised = networks(c.get("advertises"))
            links = c.get("links")
            if isinstance(links, dict):
                for link_name, link in links.items():
                    if not isinstance(link, dict):
                        continue
                    lp = (*p, "links", link_name)
                    for i, d in self._list(link, "devices"):
                        self._ref("ERP023", (*lp, "devices", i), d, "device", self.devices)
                    advertised |= networks(link.get("advertises"))
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
                    net = network(key)
                    if net is not None and net not in advertised:
                        self._add(
                            "ERP028",
                            (*p, "prepend", key),
                            f"{dotted(p)}.prepend: {key} is not among the prefixes this circuit "
                            "or its links advertise",
                            key=True,
                        )
            self._silence(p, c)

    def _check_devices(self) -> None:
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
