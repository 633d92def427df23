"""Traffic per egress from users x workload profile, spread the way the traced flows go.

A site's users need ``kbps`` per user of each workload (Exchange, SharePoint/OneDrive, Teams;
``model.Workload``). A workload's traffic goes to the endpoint sets of its service area: the
sets of category Optimize carry 75 % of it (Microsoft's network principles: Optimize endpoints
carry "over 75% of Microsoft 365 bandwidth, connections and volume of data"), the others the
rest, split evenly over the flows of each category; each flow's share goes out by the egresses
its traced branches use, with their weights. Broken connections carry nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from erplan.analyses.summary import FlowState
from erplan.catalogs import Catalogs
from erplan.model import Design, Workload

OPTIMIZE_SHARE = 0.75
WORKLOAD_AREAS: dict[str, str] = {  # model.Workload field -> service area of the catalog
    "exchange_kbps": "Exchange",
    "sharepoint_kbps": "SharePoint",
    "teams_kbps": "Skype",
}
DEFAULT = Workload()


def profile(design: Design, site: str) -> Workload:
    name = design.sites[site].workload or "default"
    return design.workloads.get(name, DEFAULT)


@dataclass(frozen=True, slots=True)
class Load:
    """Mbps per egress (``circuit:NAME``, ``breakout:NAME``), and per egress per site."""

    egress: dict[str, float]
    by_site: dict[str, dict[str, float]]


def loads(design: Design, catalogs: Catalogs, states: Iterable[FlowState]) -> Load:
    # (site, area) -> [(state, set id)] per category
    per: dict[tuple[str, str], tuple[list[FlowState], list[FlowState]]] = {}
    wanted = set(WORKLOAD_AREAS.values())
    for s in states:
        if s.direction != "outbound" or s.kind != "users" or s.origin not in design.sites:
            continue
        for set_id in s.sets:
            es = catalogs.endpoint_set(set_id or 0)
            if es is None or es.service_area not in wanted:
                continue
            opt, rest = per.setdefault((s.origin, es.service_area), ([], []))
            (opt if es.category == "Optimize" else rest).append(s)
    egress: dict[str, float] = {}
    by_site: dict[str, dict[str, float]] = {}
    for (site, area), (opt, rest) in per.items():
        users = design.sites[site].users
        prof = profile(design, site)
        kbps = sum(getattr(prof, field) for field, a in WORKLOAD_AREAS.items() if a == area)
        mbps = users * kbps / 1000.0
        parts = _split(opt, rest)
        mine = by_site.setdefault(site, {})
        for s, share in parts:
            for e, w in s.edges:
                x = mbps * share * w
                egress[e] = egress.get(e, 0.0) + x
                mine[e] = mine.get(e, 0.0) + x
    return Load(egress, by_site)


def _split(opt: list[FlowState], rest: list[FlowState]) -> list[tuple[FlowState, float]]:
    if opt and rest:
        a, b = OPTIMIZE_SHARE, 1.0 - OPTIMIZE_SHARE
    else:
        a = b = 1.0
    out = [(s, a / len(opt)) for s in opt]
    out += [(s, b / len(rest)) for s in rest]
    return out


def circuit_loads(load: Load) -> Mapping[str, float]:
    return {e.split(":", 1)[1]: x for e, x in load.egress.items() if e.startswith("circuit:")}
