"""A flow's internal connections made first: the clients' leg to their resolver or to their
first proxy, each proxy's to its upstream. Each is walked once and shared by every flow that
needs it (the same clients, the same host)."""

from __future__ import annotations

from erplan.engine.connect import connect
from erplan.engine.earlier import failed, proxy_down
from erplan.engine.origins import Origins, ProxyHop, Sources
from erplan.engine.sessions import Context
from erplan.engine.trace import Branch, Flow
from erplan.engine.walk import Walker


class Legs:
    def __init__(self, walker: Walker, o: Origins) -> None:
        self.walker = walker
        self.o = o
        # By (start, sources, host, where it must arrive); the resolvers' own queries by
        # ("dns", site).
        self.memo: dict[tuple[object, ...], list[Branch]] = {}

    def chain(self, flow: Flow) -> tuple[ProxyHop, ...]:
        """The proxies an outbound flow of users goes through, first to last (none: direct)."""
        if flow.kind != "users" or flow.proxy is None:
            return ()
        es = self.o.catalogs.endpoint_set(flow.endpoint_set or 0)
        assert es is not None
        return self.o.proxy_chain(flow.origin, es)

    def proxy_legs(self, flow: Flow, chain: tuple[ProxyHop, ...]) -> list[tuple[str, list[Branch]]]:
        """The connections a proxied flow needs first: client to the first proxy, each proxy to
        its upstream."""
        o = self.o
        out: list[tuple[str, list[Branch]]] = []
        if not chain:
            return out
        prev_site: str | None = flow.origin
        prev_sources = o.users(flow.origin)
        for hop in chain:
            what = f"the connection to the proxy {hop.name} fails"
            if not hop.up and (None in (hop.address, prev_sources) or hop.site == prev_site):
                out.append((what, [proxy_down(hop, None)]))
                break
            if hop.address is None or prev_sources is None or prev_site is None:
                # Nothing reaches a proxy without an address, nor leaves clients without one.
                owner = hop.site if hop.address is None else prev_site
                why = (
                    f"the proxy {hop.name} has no address"
                    if hop.address is None
                    else f"site {owner} has no prefixes: its users have no address"
                )
                lost = failed(flow, why, ("sites", owner or "", "prefixes"))
                out.append((what, list(lost.branches)))
                break
            if hop.cloud:
                ctx = Context(microsoft_end=False)
                pre = self.leg(f"lan:{prev_site}", prev_sources, hop.address, "internet", ctx)
            elif hop.site == prev_site:
                pre = []  # the proxy is on the clients' own network
            else:
                pre = self.leg(f"lan:{prev_site}", prev_sources, hop.address, f"lan:{hop.site}")
            if not hop.up:
                # The clients' connections go where the network sends them (a cloud proxy:
                # out of their breakout) and find nothing answering there.
                out.append((what, [proxy_down(hop, b) if b.outcome.works else b for b in pre]))
                break
            out.append((what, pre))
            if hop.cloud:
                break
            prev_site, prev_sources = hop.site, Sources.one(hop.address)
        return out

    def leg(
        self, start: str, sources: Sources, dst: int, at: str, ctx: Context | None = None
    ) -> list[Branch]:
        """An internal connection a flow needs first (to a resolver, to a proxy)."""
        key = (start, sources, dst, at)
        got = self.memo.get(key)
        if got is None:
            got = connect(
                self.walker,
                start,
                sources.addresses(),
                dst,
                ctx or Context(microsoft_end=False),
                home=start,
                expect=dst,
                delivered_at=at,
            )
            self.memo[key] = got
        return got
