"""Small designs for the routing, flow and verdict tests, built as plain data."""

from __future__ import annotations

import copy
from typing import Any

from erplan.analyses.verdicts import FlowResult, Report, verify
from erplan.catalogs import load_catalogs
from erplan.load import LoadedDesign, load_mapping

CATALOGS = load_catalogs()
RF = ["Exchange", "SharePoint", "Skype", "Other Office 365"]


def circuit(site: str, where: str, pool: str, **extra: Any) -> dict[str, Any]:
    c: dict[str, Any] = {
        "peering_location": where,
        "site": site,
        "peer_asn": 394500,
        "route_filter": list(RF),
        "snat_pool": pool,
        "advertises": [pool],
    }
    c.update(extra)
    return c


def two_sites(**over: Any) -> dict[str, Any]:
    """US (New York) and EU (Amsterdam) sites, own breakouts, per-circuit pools (Figure 17)."""
    d: dict[str, Any] = {
        "erplan": 1,
        "tenant": {"geography": "US"},
        "sites": {
            "us": {"location": "New York", "users": 500, "prefixes": ["10.1.0.0/16"]},
            "eu": {"location": "Amsterdam", "users": 300, "prefixes": ["10.2.0.0/16"]},
        },
        "wan": [{"between": ["us", "eu"], "latency_ms": 80}],
        "breakouts": {
            "us-inet": {"site": "us", "nat": ["20.2.4.1/32"], "advertises": ["20.2.4.0/24"]},
            "eu-inet": {"site": "eu", "nat": ["20.2.5.1/32"], "advertises": ["20.2.5.0/24"]},
        },
        "circuits": {
            "us-er": circuit("us", "New York", "20.2.2.0/29"),
            "eu-er": circuit("eu", "Amsterdam", "20.2.2.8/29"),
        },
    }
    for k, v in over.items():
        d[k] = v
    return d


def load(data: dict[str, Any]) -> LoadedDesign:
    return load_mapping(copy.deepcopy(data), catalogs=CATALOGS)


def run(data: dict[str, Any]) -> Report:
    return verify(load(data), CATALOGS)


def pick(
    report: Report, origin: str, *, er: bool | None = None, dns: bool = False
) -> list[FlowResult]:
    """The rows of an origin: its outbound (or inbound) flows, or its DNS flow."""
    out = [
        r
        for r in report.results
        if r.flow.origin == origin and (r.flow.direction.value == "dns") is dns
    ]
    if er is not None:
        out = [r for r in out if r.flow.express_route is er]
    assert out, f"no flow from {origin}"
    return out


def verdicts(results: list[FlowResult]) -> set[str]:
    return {r.verdict.value for r in results}


def owner(edge: str | None) -> str | None:
    """The circuit or breakout of an edge (``circuit:us-er/primary`` -> ``circuit:us-er``)."""
    return None if edge is None else edge.split("/", 1)[0]


def forward_edges(results: list[FlowResult]) -> set[str | None]:
    return {owner(b.forward.edge) for r in results for b in r.trace.branches}


def return_edges(results: list[FlowResult]) -> set[str | None]:
    return {owner(b.back.edge) if b.back else None for r in results for b in r.trace.branches}


def shares(results: list[FlowResult]) -> set[float]:
    return {round(r.share_affected, 6) for r in results}
