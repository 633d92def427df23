"""Small designs and accessors for the flow-semantics tests (tests/test_semantics_*.py).

Designs are plain dicts, loaded with ``load_mapping``; results are read per flow key, with the
branches folded into {(forward edge, return edge, outcome): weight}.
"""

from __future__ import annotations

import copy
from typing import Any

from erplan.analyses.verdicts import FlowResult, Report, rows, verify
from erplan.catalogs import load_catalogs
from erplan.engine import Engine
from erplan.engine.trace import edge_owner
from erplan.load import LoadedDesign, load_mapping

CATALOGS = load_catalogs()
RF = ["Exchange", "SharePoint", "Skype", "Other Office 365"]
# Flow keys: endpoint set 1 (outlook, ExpressRoute-able, Exchange community) and set 8
# (*.outlook.com, internet only).
ER_SET = 1
INET_SET = 8

Edges = dict[tuple[str | None, str | None, str], float]


def circuit(site: str, where: str, pool: str | None, **extra: Any) -> dict[str, Any]:
    """A circuit with the usual route filter; its pool (if any) is what it advertises."""
    c: dict[str, Any] = {
        "peering_location": where,
        "site": site,
        "peer_asn": 394500,
        "route_filter": list(RF),
        "advertises": [pool] if pool else [],
    }
    if pool:
        c["snat_pool"] = pool
    c.update(extra)
    return c


def breakout(site: str, nat: str, advertises: str, **extra: Any) -> dict[str, Any]:
    b: dict[str, Any] = {"site": site, "nat": [nat], "advertises": [advertises]}
    b.update(extra)
    return b


def site(
    where: str | dict[str, float], prefix: str | None, users: int = 0, **extra: Any
) -> dict[str, Any]:
    s: dict[str, Any] = {"location": where, "users": users}
    if prefix:
        s["prefixes"] = [prefix]
    s.update(extra)
    return s


def design(**parts: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"erplan": 1, "tenant": {"geography": "US"}, "sites": {}}
    d.update(parts)
    return d


def one_site(**circuit_extra: Any) -> dict[str, Any]:
    """One New York site with users, its breakout and one New York circuit (pool 20.2.2.0/29)."""
    return design(
        sites={"us": site("New York", "10.1.0.0/16", users=100)},
        breakouts={"us-inet": breakout("us", "20.2.4.1/32", "20.2.4.0/24")},
        circuits={"us-er": circuit("us", "New York", "20.2.2.0/29", **circuit_extra)},
    )


def two_sites() -> dict[str, Any]:
    """US (New York) and EU (Amsterdam): own breakouts, a circuit each with its own pool."""
    return design(
        sites={
            "us": site("New York", "10.1.0.0/16", users=500),
            "eu": site("Amsterdam", "10.2.0.0/16", users=300),
        },
        wan=[{"between": ["us", "eu"], "latency_ms": 80}],
        breakouts={
            "us-inet": breakout("us", "20.2.4.1/32", "20.2.4.0/24"),
            "eu-inet": breakout("eu", "20.2.5.1/32", "20.2.5.0/24"),
        },
        circuits={
            "us-er": circuit("us", "New York", "20.2.2.0/29"),
            "eu-er": circuit("eu", "Amsterdam", "20.2.2.8/29"),
        },
    )


def service(
    site_name: str, public: str, internal: str | None, entry: list[str], **extra: Any
) -> dict[str, Any]:
    s: dict[str, Any] = {
        "fqdn": "mail.contoso.com",
        "dns_record": public,
        "public_address": public,
        "site": site_name,
        "entry": entry,
    }
    if internal is not None:
        s["internal_address"] = internal
    s.update(extra)
    return s


def load(data: dict[str, Any]) -> LoadedDesign:
    return load_mapping(copy.deepcopy(data), catalogs=CATALOGS)


def results(data: dict[str, Any]) -> list[FlowResult]:
    """Every row of the design's verdicts (the flows, without the rule catalog)."""
    return rows(Engine(load(data).design, CATALOGS))


def report(data: dict[str, Any]) -> Report:
    """The whole check: verdicts and findings."""
    return verify(load(data), CATALOGS)


def flow(found: list[FlowResult] | Report, key: str) -> FlowResult:
    """The row holding flow ``key``."""
    rs = found.results if isinstance(found, Report) else found
    for r in rs:
        if any(f.key == key for f in r.flows):
            return r
    raise AssertionError(f"no flow {key}: {sorted(f.key for r in rs for f in r.flows)}")


def inbound(
    found: list[FlowResult] | Report, service_name: str, kind: str = "microsoft-365"
) -> FlowResult:
    """The row of the service's inbound flow opened by ``kind``: Microsoft 365 in the tenant's
    home region (the first region the engine lists) by default, ``internet`` for its internet
    users."""
    rs = found.results if isinstance(found, Report) else found
    for r in rs:
        for f in r.flows:
            if f.direction.value == "inbound" and f.origin == service_name and f.kind == kind:
                return r
    raise AssertionError(f"no {kind} inbound flow of {service_name}")


def edges(r: FlowResult) -> Edges:
    """{(forward edge, return edge, outcome): weight}, zero-weight branches left out."""
    out: Edges = {}
    for b in r.trace.branches:
        if b.weight <= 1e-12:
            continue
        k = (b.forward.edge, b.back.edge if b.back is not None else None, b.outcome.value)
        out[k] = round(out.get(k, 0.0) + b.weight, 9)
    return out


def owners(r: FlowResult, which: str = "forward") -> dict[str | None, float]:
    """Weight per circuit or breakout (the link left out) the request left by / the reply came
    back by."""
    out: dict[str | None, float] = {}
    for b in r.trace.branches:
        if b.weight <= 1e-12:
            continue
        path = b.forward if which == "forward" else b.back
        edge = path.edge if path is not None else None
        owner = edge_owner(edge)
        out[owner] = round(out.get(owner, 0.0) + b.weight, 9)
    return out


def share(r: FlowResult) -> float:
    return round(r.share, 6)


def hop_nodes(r: FlowResult, which: str = "back") -> set[str]:
    """Every node some branch's request (``forward``) or reply (``back``) reaches."""
    out: set[str] = set()
    for b in r.trace.branches:
        path = b.forward if which == "forward" else b.back
        if path is not None:
            out.update(h.node for h in path.hops)
    return out
