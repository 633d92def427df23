"""Lists for the devices on each path, from the same decisions as the site's PAC file.

- The clients' (and proxies') **bypass list**: the names the PAC sends DIRECT. A plain list
  cannot hold an exception, so a DIRECT wildcard with an internet-only name under it
  (``*.officeapps.live.com`` above ``cdn.odc.officeapps.live.com``) is left to the PAC file.
- Per path the site's connections leave by (``circuit:X``, ``breakout:Y``): the names and IPv4
  prefixes of the endpoint sets whose connections cross it, as the engine traces them after
  the PAC's decision (DIRECT: the client's own connection; PROXY: the proxy's), with the devices
  they cross (FACTS §4: "When PAC sends traffic DIRECT, the firewall must allow the IPs of the
  same categories"). Sets without names (Teams media) are routed, not proxied: ``ROUTED``.

Plain text has one entry a line (what external-list features read); the CSV has one row per
entry with its path, devices, action and endpoint sets. Render only.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from ipaddress import IPv4Network

from erplan.generators.decisions import Name, Plan, SitePlan
from erplan.generators.names import comment
from erplan.generators.pac import file_stems

CSV_COLUMNS = (
    "site",
    "path",
    "devices",
    "action",
    "type",
    "value",
    "endpoint_sets",
    "service_areas",
    "categories",
    "tcp_ports",
    "udp_ports",
)
CLIENTS = "clients"  # the bypass list's "path": the clients' own proxy settings


@dataclass
class PathList:
    """What the devices on one path must let through."""

    path: str
    devices: dict[str, None] = field(default_factory=dict)
    fqdns: dict[str, None] = field(default_factory=dict)
    ipv4: dict[IPv4Network, None] = field(default_factory=dict)


@dataclass
class SiteLists:
    site: str
    bypass: list[str]
    pac_only: list[str]  # DIRECT wildcards a plain list cannot hold (an exception under them)
    paths: dict[str, PathList]
    rows: list[dict[str, str]]


def bypass_entries(names: tuple[Name, ...]) -> tuple[list[str], list[str]]:
    """The DIRECT names a plain bypass list can hold, and those only the PAC file can."""
    ok: list[str] = []
    pac_only: list[str] = []
    for i, n in enumerate(names):
        if not n.direct:
            continue
        excepted = any(
            not m.direct and m.keep and m.pattern.may_overlap(n.pattern) for m in names[:i]
        )
        (pac_only if excepted else ok).append(n.pattern.text)
    return sorted(ok), sorted(pac_only)


def _cell(text: str) -> str:
    """A CSV cell no spreadsheet reads as a formula, printable ASCII only."""
    clean = comment(text)
    return "'" + clean if clean[:1] in ("=", "+", "-", "@") else clean


def _ports(ports: tuple[int, ...]) -> str:
    return " ".join(str(p) for p in ports)


def site_lists(plan: Plan, site: SitePlan) -> SiteLists:
    planner = plan.planner
    bypass, pac_only = bypass_entries(site.names)
    rows: list[dict[str, str]] = []
    for value in bypass:
        n = next(x for x in site.names if x.pattern.text == value)
        rows.append(_row(site.site, CLIENTS, (), "DIRECT", "fqdn", value, n.sets, plan, site))
    paths: dict[str, PathList] = {}
    for es in site.sets:
        names = [n.pattern.text for n in site.names if es.id in n.sets]
        if not names and not es.ips:
            continue
        if not es.urls:
            action, proxied = "ROUTED", planner.proxied_by_design(site.site, es)
        elif es.id in site.direct_sets:
            action, proxied = "DIRECT", False
        else:
            action, proxied = "PROXY", True
        route = planner.route(site.site, es, proxied=proxied)
        for path in route.paths:
            pl = paths.setdefault(path, PathList(path))
            pl.devices.update(dict.fromkeys(route.devices))
            entries = [("fqdn", v) for v in sorted(names)]
            entries += [("ipv4", str(p)) for p in sorted(es.ips)]
            for kind, value in entries:
                if kind == "fqdn":
                    pl.fqdns.setdefault(value, None)
                else:
                    pl.ipv4.setdefault(IPv4Network(value), None)
                rows.append(
                    _row(site.site, path, route.devices, action, kind, value, (es.id,), plan, site)
                )
    return SiteLists(site.site, bypass, pac_only, paths, rows)


def _row(
    site: str,
    path: str,
    devices: tuple[str, ...],
    action: str,
    kind: str,
    value: str,
    set_ids: tuple[int, ...],
    plan: Plan,
    sp: SitePlan,
) -> dict[str, str]:
    sets = [es for es in sp.sets if es.id in set_ids]
    return {
        "site": _cell(site),
        "path": _cell(path),
        "devices": _cell(" ".join(devices)),
        "action": action,
        "type": kind,
        "value": value,
        "endpoint_sets": " ".join(str(i) for i in set_ids),
        "service_areas": _cell(" ".join(sorted({es.service_area for es in sets}))),
        "categories": _cell(" ".join(sorted({es.category for es in sets}))),
        "tcp_ports": _ports(tuple(sorted({p for es in sets for p in es.tcp_ports}))),
        "udp_ports": _ports(tuple(sorted({p for es in sets for p in es.udp_ports}))),
    }


def render_csv(lists: SiteLists) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(lists.rows)
    return out.getvalue()


def render_lines(values: list[str]) -> str:
    return "".join(v + "\n" for v in values)


def path_files(lists: SiteLists) -> dict[str, str]:
    """Per path: ``<path>.fqdn.txt`` and ``<path>.ipv4.txt`` (the path as a safe file-name part)."""
    out: dict[str, str] = {}
    parts = file_stems(p.replace(":", "-") for p in lists.paths)
    for path, pl in lists.paths.items():
        part = parts[path.replace(":", "-")]
        if pl.fqdns:
            out[f"{part}.fqdn.txt"] = render_lines(sorted(pl.fqdns))
        if pl.ipv4:
            out[f"{part}.ipv4.txt"] = render_lines([str(p) for p in sorted(pl.ipv4)])
    return out
