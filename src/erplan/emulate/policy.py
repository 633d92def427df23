"""The proxies' own egress as policy routes (docs/flow-semantics.md "Proxies").

A proxy with an egress breakout leaves by it: every site router sends the proxy's packets that
have no internal or ExpressRoute route towards that breakout, and nowhere else when it is down.
Routed by the kernel and zebra, decided by nobody here: the main table first unless it offers
only a default route, then a table of the egress's own, where zebra resolves a route via the
address the egress edge announces while it is up (else only a reject route is left).
"""

from __future__ import annotations

from erplan.emulate import frr
from erplan.emulate.customer import Layout
from erplan.emulate.network import DEFAULT, Builder
from erplan.emulate.topology import Rule


def build(b: Builder, layout: Layout) -> None:
    """Rules for each proxy's address and a table per egress, on every site router."""
    for router in layout.site_routers.values():
        draft = b.drafts[router]
        for addr, spec in layout.proxies.items():
            if spec.egress is None:
                continue
            _, table = layout.egress[spec.egress]
            draft.rules += [
                Rule(None, None, source=addr, suppress_default=True),
                Rule(None, table, source=addr),
            ]
        for anchor, table in layout.egress.values():
            draft.static.append(frr.StaticRoute(DEFAULT, anchor, table))
            draft.static.append(frr.StaticRoute(DEFAULT, None, table))
