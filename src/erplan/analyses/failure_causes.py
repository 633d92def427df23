"""Why a branch fails, or comes back another way: the cause, in words, and the design object
a fix must change. The worst branch decides a verdict, and its cause is traced back to what
makes the packets go there (a reply that comes back by another circuit is caused by what makes
Microsoft route it there, not by the firewall that drops it).
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network

from erplan.analyses.causes import CAUSES, Culprit
from erplan.engine import Branch, Direction, Disposition, Engine, FlowTrace, Outcome, Path
from erplan.engine.nodes import Kind
from erplan.engine.ranges import addr
from erplan.engine.trace import edge_owner

_EDGES = (Kind.LINK, Kind.CE, Kind.BREAKOUT)  # routers with one way into the customer network
_INWARD = (Kind.CE, Kind.SITE)


class FailureCauses:
    """The cause of each failing branch of one engine's traces."""

    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self.design = engine.design

    def failure(self, t: FlowTrace, b: Branch) -> tuple[str, str, Culprit]:
        """(cause key, the cause in words, the design object to fix) for a branch that fails or
        comes back another way."""
        fwd, back = b.forward, b.back
        f = t.flow
        owner_f, owner_b = self._path_owner(fwd), self._path_owner(back)
        sender = fwd.hops[0].src if fwd.hops else 0
        if (
            back is not None
            and f.direction is Direction.INBOUND
            and (owner_f or "").startswith("circuit:")
            and self.e.tables.route_class(sender) is None
        ):
            gone = back.reason
            if back.disposition is Disposition.DELIVERED:  # asymmetric: where it goes instead
                gone = f"it leaves by {back.edge}"
            why = (
                f"the sender {addr(sender)} is not among the prefixes Microsoft advertises over "
                f"ExpressRoute: the request enters by {fwd.edge}, the reply cannot go back that "
                f"way ({gone})"
            )
            return "sender-outside-expressroute", why, ("services", f.origin, "entry")
        if back is not None and owner_f and owner_b and owner_f != owner_b:
            if f.direction is Direction.INBOUND:
                why = (
                    f"the request enters by {fwd.edge}, but the server's reply heads for "
                    f"{owner_b}: the entry does not source-NAT the connection, and the server's "
                    f"network routes the initiator's address elsewhere ({back.reason})"
                )
                return "inbound-return-elsewhere", why, ("services", f.origin, "inbound_snat")
            return self._returned_elsewhere(b)
        split = self._reply_link(back) if back is not None else None
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
        if back is not None and path is back and cause == "no-route":
            cause = "no-route-back"
        dead = self._cut_off_by(path) if cause in ("no-route", "no-route-back") else None
        if dead is not None:
            where = self.e.net.nodes[path.hops[-1].node].label
            why = f"{CAUSES['device-down'][0]}: {dead} stands between {where} and the site"
            return "device-down", why, ("devices", dead, "up")
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
        if cause not in CAUSES:
            cause = "no-session" if b.outcome is Outcome.DROPPED else "no-route"
        return cause, why, culprit

    def _reply_link(self, back: Path) -> str | None:
        """The circuit link a reply took: the one it entered by, or the one it was dropped on
        (a device standing on one link of a circuit: the link end of the device's wire, read
        from the network, since device and circuit names may hold '@', ':' and '/')."""
        if back.edge is not None:
            return back.edge
        if not back.hops:
            return None
        net = self.e.net
        last = back.hops[-1].node
        wire = net.device_wire.get(last)
        for end in (wire.a, wire.b) if wire is not None else (last,):
            node = net.nodes[end]
            if node.kind is Kind.LINK and node.edge is not None:
                return node.edge.id
        return None

    def _cut_off_by(self, path: Path) -> str | None:
        """The device that is down on the only way in from where ``path`` ends (a link's,
        a circuit's or a breakout's edge): the packets reach that edge and go no further.
        The way in is followed through the customer edge: a link's edge has no route either
        when a device between its customer edge and the site is down (a NAT device holding
        the address it is sent to)."""
        if not path.hops:
            return None
        net = self.e.net
        node = net.nodes[path.hops[-1].node]
        while node.kind in _EDGES:
            inward = [(v, w) for v, w in net.wires[node.id].items() if net.nodes[v].kind in _INWARD]
            if not inward:
                return None
            if not any(w.up for _, w in inward):
                down = (d for _, w in inward for d in w.devices if not net.nodes[d].up)
                return next((net.nodes[d].name for d in down), None)
            if len(inward) != 1:
                return None
            node = net.nodes[inward[0][0]]
        return None

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

    def _returned_elsewhere(self, b: Branch) -> tuple[str, str, Culprit]:
        back = b.back
        assert back is not None and back.hops
        dst = back.hops[0].dst  # the address the reply is sent to: the translated source
        edge = back.edge or ""
        kind, _, rest = edge.partition(":")
        name = rest.rpartition("/")[0] if kind == "circuit" else rest  # names may hold '/'
        culprit: Culprit = (kind + "s", name)
        where = ""
        # What pulls the reply there: the first of the owner's prefixes that covers it (the
        # internet also routes to a breakout the NAT addresses it does not advertise).
        lists: list[tuple[tuple[str, ...], Sequence[IPv4Network], str]] = []
        if kind == "circuit":
            c = self.design.circuits[name]
            lists = [(("advertises",), c.advertises, "advertises {}")]
            lists += [
                (("links", k.value, "advertises"), v.advertises, "advertises {}")
                for k, v in c.links.items()
            ]
        elif kind == "breakout":
            bk = self.design.breakouts[name]
            lists = [
                (("advertises",), bk.advertises, "advertises {} to the internet"),
                (("nat",), bk.nat, "translates into {}, which the internet routes to it"),
            ]
        for field, prefixes, text in lists:
            i = next((i for i, p in enumerate(prefixes) if _covers(p, dst)), None)
            if i is not None:
                culprit = (kind + "s", name, *field, i)
                where = f": {kind} {name} {text.format(prefixes[i])}"
                break
        why = (
            f"replies to {addr(dst)} come back by {edge} although the request left by "
            f"{b.forward.edge}{where}"
        )
        if b.outcome is not Outcome.ASYMMETRIC:
            why += f"; {back.reason}" if back.reason else ""
        return "return-elsewhere", why, culprit


def _covers(p: IPv4Network, address: int) -> bool:
    return int(p.network_address) <= address < int(p.network_address) + p.num_addresses


_owner = edge_owner
