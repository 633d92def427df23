"""Why a branch fails, or comes back another way: the cause, in words, and the design object
a fix must change. The worst branch decides a verdict, and its cause is traced back to what
makes the packets go there (a reply that comes back by another circuit is caused by what makes
Microsoft route it there, not by the firewall that drops it).
"""

from __future__ import annotations

from erplan.analyses.astray_causes import (
    cut_by_wan,
    cut_off_by,
    delivered_elsewhere,
    lost_at,
    wan_cut_between,
    wan_parts,
)
from erplan.analyses.causes import CAUSES, ENTRY_FIXES, Culprit
from erplan.analyses.design_causes import crosswise_designation, inbound_pool_pulled
from erplan.analyses.missing_routes import breakout_cut_off, refused
from erplan.analyses.reply_causes import (
    entry_prefers,
    reply_link,
    returned_elsewhere,
    shared_inbound_pool,
    unadvertised,
)
from erplan.engine import Branch, Direction, Disposition, Engine, FlowTrace, Outcome, Path
from erplan.engine.nodes import Kind
from erplan.engine.ranges import addr
from erplan.engine.routes import Microsoft365
from erplan.engine.trace import edge_owner


class FailureCauses:
    """The cause of each failing branch of one engine's traces."""

    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self.design = engine.design
        self._parts: dict[str, str] | None = None  # site -> its part of the WAN's up links

    def _wan_parts(self) -> dict[str, str]:
        if self._parts is None:
            self._parts = wan_parts([w.between for w in self.design.wan if w.up])
        return self._parts

    def failure(
        self, t: FlowTrace, b: Branch, also: tuple[int, ...] = ()
    ) -> tuple[str, str, Culprit]:
        """(cause key, the cause in words, the design object to fix) for a branch that fails or
        comes back another way. ``also``: the other destinations of the row, for a cause that
        names the services the row's flows reach (``missing_routes``)."""
        fwd, back = b.forward, b.back
        f = t.flow
        owner_f, owner_b = self._path_owner(fwd), self._path_owner(back)
        sender = fwd.hops[0].src if fwd.hops else 0
        if (
            back is not None
            and f.direction is Direction.INBOUND
            and (owner_f or "").startswith("circuit:")
            and self.e.tables.routes.route_class(sender) is None
        ):
            gone = back.reason
            if back.disposition is Disposition.DELIVERED:  # asymmetric: where it goes instead
                gone = f"it leaves by {back.edge}"
            entry = self.e.tables.routes.entry(sender)
            if isinstance(entry, Microsoft365) and owner_f:
                # Advertised by Microsoft, refused by every route filter: the filter is the fix.
                circuit = owner_f.split(":", 1)[1]
                why = (
                    f"the sender {addr(sender)} is in a prefix Microsoft advertises over "
                    f"ExpressRoute, but no circuit's route filter admits its service: the "
                    f"request enters by {fwd.edge}, the reply cannot go back that way ({gone})"
                )
                return "initiator-filtered", why, ("circuits", circuit, "route_filter")
            why = (
                f"the sender {addr(sender)} is not among the prefixes Microsoft advertises over "
                f"ExpressRoute: the request enters by {fwd.edge}, the reply cannot go back that "
                f"way ({gone})"
            )
            return "sender-outside-expressroute", why, ("services", f.origin, "entry")
        if back is not None and not b.outcome.works and f.direction is Direction.INBOUND:
            preferred = entry_prefers(self.e, owner_f, sender)
            if preferred is not None:
                return preferred
        if back is not None and owner_f and owner_b and owner_f != owner_b:
            if f.direction is Direction.INBOUND:
                shared = shared_inbound_pool(self.design, f.origin, owner_f, back.reason)
                if shared is None and fwd.edge is not None and back.hops:
                    shared = inbound_pool_pulled(
                        self.design, f.origin, fwd.edge, back.hops[0].dst, back.reason
                    )
                if shared is not None:
                    return shared
                why = (
                    f"the request enters by {fwd.edge}, but the server's reply heads for "
                    f"{owner_b}: the entry does not source-NAT the connection, and the server's "
                    f"network routes the initiator's address elsewhere ({back.reason})"
                )
                return "inbound-return-elsewhere", why, ("services", f.origin, "inbound_snat")
            return returned_elsewhere(self.design, b)
        split = reply_link(self.e, back) if back is not None else None
        if (
            back is not None
            and fwd.edge
            and split
            and fwd.edge != split
            and back.cause == "no-session"
            and _owner(fwd.edge) == _owner(split)
        ):
            circuit = (_owner(fwd.edge) or "").split(":", 1)[1]
            why = f"{CAUSES['link-split'][0]} ({back.reason})"
            return "link-split", why, ("circuits", circuit, "links")
        path = back if back is not None and back.disposition is not Disposition.DELIVERED else fwd
        cause = path.cause or b.outcome.value
        culprit: Culprit = b.culprit
        why = b.reason
        inbound_request = path is fwd and f.direction is Direction.INBOUND
        if cause == "no-direct-internet":
            # Refused because it fell to the default route: why the router had no other.
            missing = refused(self.e, path, also=also)
            if missing is not None:
                return missing.key, f"{why}: {missing.why}", missing.culprit
        if cause == "delivered-elsewhere" and not inbound_request:
            pulled = delivered_elsewhere(self.e, path)
            if pulled is not None:
                return pulled
        if back is not None and path is back and cause == "no-route":
            cause = "no-route-back"
        if cause == "no-route-back" and not culprit:
            not_advertised = unadvertised(self.e, fwd, path)
            if not_advertised is not None:
                return not_advertised
        # Where the packet lost its way: the first router that reaches no holder of the
        # internal address it carries (it forwards by a covering or default route from there),
        # else where it ends.
        end = lost_at(self.e, path) if path.hops else None
        dead = cut_off_by(self.e, end) if cause in ("no-route", "no-route-back") and end else None
        if dead is not None:
            assert end is not None
            where = self.e.net.nodes[end.node].label
            why = f"{CAUSES['device-down'][0]}: {dead} stands between {where} and the site"
            return "device-down", why, ("devices", dead, "up")
        if cause == "no-route" and culprit[-1:] == ("breakout",) and path.hops:
            # The breakout is there and up: the device between it and the site is the fix.
            cut_off = breakout_cut_off(self.e, path.hops[-1].node)
            if cut_off is not None:
                why = f"{why}: device {cut_off[0]} on the way to breakout {cut_off[1]} is down"
                return "breakout-device-down", why, ("devices", cut_off[0], "up")
        if f.direction is Direction.INBOUND and path is fwd and cause == "delivered-elsewhere":
            cause = "wrong-host"  # the record, the published address or the mapping: below
        cut = (
            cut_by_wan(self.e, end, self._wan_parts)
            if cause in ("no-route", "no-route-back") and end
            else None
        )
        if cut is not None:
            assert end is not None
            i, (a, z) = cut, self.design.wan[cut].between
            where = self.e.net.nodes[end.node].label
            why = (
                f"the WAN link between {a} and {z} is down: {where} has no way on to "
                f"{addr(end.dst)}, while the routes that lead here stay up"
            )
            return "down", why, ("wan", i, "up")
        crosswise = None
        if cause == "loop":
            nodes = self.e.net.nodes
            sites = [n.name for h in path.hops if (n := nodes[h.node]).kind is Kind.SITE]
            crosswise = crosswise_designation(self.design, sites)
        if crosswise is not None:
            return "loop", f"{why}: {crosswise[0]}", crosswise[1]
        if f.direction is Direction.INBOUND and path is fwd and cause == "loop" and path.hops:
            svc = self.design.services[f.origin]
            record = int(svc.dns_record)
            if record != int(svc.public_address) and path.hops[-1].dst == record:
                # No host holds the record's address: the routers pass it between them.
                why = (
                    f"{why}: the public DNS record {svc.dns_record} of {svc.fqdn} is not its "
                    f"published address {svc.public_address}, and no destination NAT leads "
                    f"{svc.dns_record} to a host"
                )
                return "wrong-host", why, ("services", f.origin, "dns_record")
        if f.direction is Direction.INBOUND and path is fwd and cause in ("no-route", "wrong-host"):
            svc = self.design.services[f.origin]
            mismatch = svc.dns_record != svc.public_address
            if mismatch and (cause == "wrong-host" or fwd.edge is not None):
                culprit = ("services", f.origin, "dns_record")
                cause = "wrong-host"
            elif cause == "wrong-host":
                # The record is right: the address it is translated to leads elsewhere.
                to = "internal_address" if svc.internal_address is not None else "public_address"
                culprit = ("services", f.origin, to)
            elif fwd.edge is None:
                # It never entered: nothing leads the initiator to the service.
                culprit = ("services", f.origin, "dns_record")
                cause = "inbound-no-route"
                why = (
                    f"{'Microsoft' if f.kind != 'internet' else 'The internet'} has no route "
                    f"to {svc.dns_record}, the public DNS record of {svc.fqdn}: nothing "
                    "advertises it"
                )
        if cause == "resolver" and f.direction is Direction.DNS:
            cut = self._resolver_cut(f.origin)
            if cut is not None:
                a, z = self.design.wan[cut].between
                return cause, f"{why}: the WAN link between {a} and {z} is down", ("wan", cut, "up")
        if cause in ("dns", "proxy") and f.direction is Direction.OUTBOUND:
            why, culprit = self._earlier(t, b, cause, why, culprit)
            if culprit[:1] == ("devices",) and culprit[-1:] == ("up",):
                cause += "-device-down"  # the device is the fix, not the resolver or proxy
        if cause not in CAUSES:
            cause = "no-session" if b.outcome is Outcome.DROPPED else "no-route"
        return cause, why, culprit

    def _resolver_cut(self, site: str) -> int | None:
        """The WAN link that is down between ``site`` and the site of its resolver egress: the
        queries never leave the site, so no hop of theirs shows where they lost their way."""
        egress = self.design.site_resolver_egress(site)
        if egress is None or egress not in self.design.breakouts:
            return None
        there = self.design.breakouts[egress].site
        return None if there == site else wan_cut_between(self.e, site, {there}, self._wan_parts)

    def _earlier(
        self, t: FlowTrace, b: Branch, cause: str, why: str, culprit: Culprit
    ) -> tuple[str, Culprit]:
        """The reason and design object of a branch that fails because a connection the flow
        needs first fails - the DNS queries that resolve its names, or the users' leg to their
        proxy - as that connection's own row names them (the flow's branch carries only that
        connection's branch reason and culprit: a site device that is down between the hosts
        and the site router is named there, not the hosts' missing way out)."""
        f = t.flow
        if cause == "dns":
            dns = self.e.tracer.resolved(self.e.tracer.resolving(f))
            earlier = [(dns, list(dns.branches))]
        else:
            legs = self.e.tracer.proxy_legs(f, self.e.tracer.chain(f))
            earlier = [(t, branches) for _, branches in legs]
        failing = [(x, e) for x, es in earlier for e in es if not e.outcome.works]
        if not failing:
            return why, culprit
        # The earlier branch this one repeats (its reason ends the flow's, its culprit is the
        # flow's), else the worst.
        same = [
            (x, e) for x, e in failing if e.culprit == b.culprit and why.endswith(f": {e.reason}")
        ]
        x, worst = max(same or failing, key=lambda xe: (xe[1].outcome.rank, xe[1].weight))
        _, own_why, own_culprit = self.failure(x, worst)
        if same:
            why = why[: len(why) - len(worst.reason)] + own_why
        return why, own_culprit or culprit

    def fix(self, key: str, b: Branch) -> tuple[str, str]:
        """(the fix, where the guides say so) of cause ``key`` for branch ``b``: the one that
        fits the way its request entered and its reply heads, where they differ."""
        kinds = (self._path_owner(b.forward), self._path_owner(b.back))
        way = "-".join((k or "").partition(":")[0] for k in kinds)
        found = ENTRY_FIXES.get((key, way))
        return found if found is not None else CAUSES[key][1:]

    def _path_owner(self, path: Path | None) -> str | None:
        """The circuit or breakout a path leaves or enters by, or heads for when it ends
        before (the first node it meets that stands on a circuit's or breakout's path)."""
        if path is None:
            return None
        if path.edge is not None:
            return _owner(path.edge)
        nodes = self.e.net.nodes
        for h in path.hops:
            owner = nodes[h.node].path
            if owner is not None:
                return owner
        return None


_owner = edge_owner
