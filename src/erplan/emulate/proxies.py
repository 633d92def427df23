"""The proxies a design's sites use, built from the design alone (docs/flow-semantics.md
"Proxies"; docs/emulation.md).

- A proxy on premises runs on the hosts of its site, listening on its address; each proxy of a
  chain before the last sends the request on to its upstream from its own address.
- A proxy that is down (``up: false``) keeps its address (the box is there) but runs nothing:
  its clients' connections are refused, a chain's request goes no further.
- A cloud proxy is a namespace of its own on the emulated internet, reached over the internet by
  its clients (each resolves the name first and sends the proxy the answer); it connects to
  Microsoft from its own address, which the internet announces to Microsoft. Its clients reach
  it on the flow's own port (redirected to the proxy there, TCP to the proxy and UDP to its
  datagram relay), so the edge counters see the leg.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING, Any

from erplan.emulate.agent import PROXY_PORT
from erplan.emulate.flows import (
    ProxySpec,
    host_address,
    pinned_clients,
    proxied_sites,
    proxy_of,
    resolver_site,
)
from erplan.emulate.network import DEFAULT, INTERNET, Builder
from erplan.emulate.topology import Route

if TYPE_CHECKING:
    from erplan.emulate.customer import Layout

EGRESS_TABLE = 200  # first kernel table of the proxies' policy routes


def place(b: Builder, layout: Layout) -> None:
    """Every resolver and proxy the sites' clients use, on premises and in the cloud."""
    design = b.design
    specs = [proxy_of(design, name, b.clouds) for name in proxied_sites(design)]
    specs = [s for s in specs if s.problem is None and s.address is not None]
    asking = [resolver_site(design, name) for name in design.sites]
    # A proxy that is down still has the resolver its site's DNS flow asks.
    for r in [*asking, *(s.resolver_site for s in specs if not s.cloud)]:
        if r is not None and r not in layout.resolvers:
            layout.resolvers[r] = host_address(design, r) or layout.loopbacks[r]
    for r, addr in layout.resolvers.items():
        node = layout.hosts.get(r, layout.site_routers[r])
        b.drafts[node].agent["resolver"] = {
            "listen": str(addr),
            "upstream": str(b.dns_server),
            "pins": [[str(p), m] for p, m in pinned_clients(design, r)],
        }
    last: dict[IPv4Address, ProxySpec] = {}
    relays: dict[IPv4Address, tuple[str, IPv4Address, bool]] = {}
    for spec in specs:
        assert spec.address is not None
        if spec.cloud or spec.site in layout.hosts:
            last.setdefault(spec.address, spec)
        for at, relay, parent in spec.relays:
            if at in layout.hosts and relay not in spec.down:
                relays[relay] = (at, parent, spec.cloud and parent == spec.address)
    for addr, spec in last.items():
        if spec.cloud:
            _cloud(b, layout, addr, addr not in spec.down)
            continue
        if addr in spec.down:
            continue  # the box is there, its proxy does not run
        layout.proxies[addr] = spec
        resolver = layout.resolvers.get(spec.resolver_site) if spec.resolver_site else None
        if spec.egress is not None:
            resolver = b.dns_server  # it resolves by itself, out of its egress
        _serve(b, layout.hosts[spec.site], addr, resolver)
    for relay, (at, parent, cloud) in relays.items():
        # A chain's earlier proxies: each sends the request on, from its own address (to a
        # cloud proxy on the flow's own port, as its clients would).
        _serve(b, layout.hosts[at], relay, None, parent, cloud)
    egresses = dict.fromkeys(s.egress for s in layout.proxies.values() if s.egress is not None)
    for i, egress in enumerate(egresses):
        layout.egress[egress] = (b.alloc.loopback(), EGRESS_TABLE + i)


def _serve(
    b: Builder,
    node: str,
    listen: IPv4Address,
    resolver: IPv4Address | None,
    upstream: IPv4Address | None = None,
    upstream_cloud: bool = False,
) -> None:
    spec: dict[str, Any] = {
        "listen": str(listen),
        "resolver": str(resolver) if resolver is not None else None,
    }
    if upstream is not None:
        spec["upstream"] = str(upstream)
        spec["upstream_flow_port"] = upstream_cloud
    b.drafts[node].agent.setdefault("proxies", []).append(spec)


def _cloud(b: Builder, layout: Layout, addr: IPv4Address, up: bool) -> None:
    """A cloud proxy's namespace, joined to the internet, which routes its address there and
    announces it to Microsoft (``provider``)."""
    node = b.node(f"x{len(layout.clouds)}", "cloud-proxy", f"cloud proxy {addr}")
    node.loopbacks.append(addr)
    node.forward = False
    end, inet_end = b.link(node.name, INTERNET)
    node.routes.append(Route(DEFAULT, (end.peer,)))
    b.drafts[INTERNET].routes.append(Route(IPv4Network(addr), (inet_end.peer,)))
    layout.clouds[addr] = node.name
    node.ruleset["proxy_redirect"] = ((addr, PROXY_PORT),)
    if up:
        _serve(b, node.name, addr, None)
        # It relays its clients' datagrams too, from its own address (DESIGN "Proxy": the
        # flow starts again at the proxy, whatever its protocol).
        b.drafts[node.name].agent["relay"] = {"listen": str(addr)}
