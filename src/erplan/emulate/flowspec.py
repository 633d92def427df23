"""The model's flows (erplan.analyses.verdicts) as the flows the emulation opens for real."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, ip_address

from erplan.analyses.verdicts import FlowResult
from erplan.catalogs import Catalogs
from erplan.emulate.translate import FlowSpec
from erplan.flows import Direction, HopKind
from erplan.model import Design

DEFAULT_PORT = 443
# Addresses for endpoints the catalog lists by URL only (reachable over the internet only).
STAND_IN = IPv4Network("203.0.113.0/24")


def _address(text: str) -> IPv4Address | None:
    try:
        addr = ip_address(text)
    except ValueError:
        return None
    return addr if isinstance(addr, IPv4Address) else None


def _covering(catalogs: Catalogs, addr: IPv4Address) -> tuple[IPv4Network, str | None]:
    """The most specific catalog prefix holding ``addr`` and its community (ExpressRoute-able)."""
    best: tuple[IPv4Network, str | None] | None = None
    for s in catalogs.endpoint_sets:
        for p in s.ips:
            if addr in p and (best is None or p.prefixlen > best[0].prefixlen):
                best = (p, s.community if s.express_route else None)
            elif best is not None and p == best[0] and s.express_route and best[1] is None:
                best = (p, s.community)
    return best if best is not None else (IPv4Network(addr), None)


def flow_specs(design: Design, catalogs: Catalogs, results: list[FlowResult]) -> list[FlowSpec]:
    specs: list[FlowSpec] = []
    for k, res in enumerate(results):
        flow = res.flow
        hops = flow.trace.forward.hops
        vias = sorted({p.via for p in flow.trace.returns if p.via})
        model_path = flow.trace.egress or (hops[0].node if hops else "")
        if vias:
            model_path += " / back: " + ", ".join(vias)
        if flow.direction is Direction.OUTBOUND:
            dst = next(
                (a for h in hops if (a := _address(h.dst)) is not None),
                None,
            )
            eset = catalogs.endpoint_set(flow.endpoint_set) if flow.endpoint_set else None
            if dst is None:
                # URL-only endpoint sets (CDNs...) have no listed address: an internet-only
                # stand-in at the same front end behaves the same.
                dst = STAND_IN.network_address + 1 + (flow.endpoint_set or 0) % 250
                prefix, community = STAND_IN, None
            else:
                prefix, community = _covering(catalogs, dst)
            ports = eset.tcp_ports if eset is not None else ()
            port = DEFAULT_PORT if not ports or DEFAULT_PORT in ports else ports[0]
            specs.append(
                FlowSpec(
                    id=f"{k}:{flow.key}",
                    direction="outbound",
                    destination=dst,
                    port=port,
                    site=flow.start_site,
                    prefix=prefix,
                    community=community if flow.express_route else None,
                    expected=res.verdict.value,
                    model_path=model_path,
                )
            )
        else:
            svc = design.services.get(flow.origin)
            if svc is None or not hops:
                continue
            src = _address(hops[0].src)
            if src is None:
                continue
            src_prefix, src_comm = _covering(catalogs, src)
            dns = next(
                (a for h in hops if h.kind is HopKind.DNS and (a := _address(h.dst)) is not None),
                svc.dns_record,
            )
            specs.append(
                FlowSpec(
                    id=f"{k}:{flow.key}",
                    direction="inbound",
                    destination=dns,
                    port=svc.ports[0] if svc.ports else DEFAULT_PORT,
                    service=flow.origin,
                    source=src,
                    source_prefix=src_prefix,
                    source_community=src_comm,
                    expected=res.verdict.value,
                    model_path=model_path,
                )
            )
    return specs
