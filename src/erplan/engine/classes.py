"""Classes of addresses: what a routed stretch decides from a packet's addresses, numbered.

A destination's class holds the customer routers' route class, Microsoft's and the internet's
decisions and whether it stays in the customer's space; a source's class the circuits whose
inbound filter admits it, the perimeter that keeps it from the internet and its own egress.
Packets whose addresses share classes are routed alike, so the walk remembers its stretches
per class; the numbers hash fast in its memo keys.
"""

from __future__ import annotations

import copy

from erplan.engine.customer import CustomerRoutes
from erplan.engine.external import ExternalRoutes
from erplan.engine.network import Network, device_address
from erplan.engine.ranges import PrefixTable
from erplan.engine.routes import DstClass, SrcClass
from erplan.facts import source_filter


class AddressClasses:
    def __init__(self, net: Network, routes: CustomerRoutes, external: ExternalRoutes) -> None:
        design = net.design
        self.routes = routes
        self.external = external
        # Clients that may not reach the internet directly (guide 000 §2.2); the hosts that
        # stand apart from them (proxies, resolvers, servers) may.
        self.no_direct: PrefixTable[str] = PrefixTable()
        for name, site in design.sites.items():
            if not site.proxy.direct_internet:
                for p in site.prefixes:
                    self.no_direct.add(p, name)
        self.may_leave = net.apart
        self.proxies: set[int] = set()  # proxies on the internet the clients may reach
        # Proxies whose connections leave by a breakout of their own (device `egress`).
        self.egress: dict[int, str] = {}
        for dev in design.devices.values():
            if dev.egress is not None and dev.egress in design.breakouts:
                address = device_address(design, dev)
                if address is not None:
                    self.egress[address] = dev.egress
        # Microsoft's inbound filter on each circuit: the public prefixes advertised on it.
        self.filters: dict[str, PrefixTable[bool]] = {}
        for name in design.circuits:
            t: PrefixTable[bool] = PrefixTable()
            for p in source_filter(design, name):
                t.add(p, True)
            self.filters[name] = t
        self.dst_classes: list[DstClass] = []
        self.src_classes: list[SrcClass] = []
        self._dst_ids: dict[int, int] = {}
        self._src_ids: dict[int, int] = {}
        self._dst_numbers: dict[DstClass, int] = {}
        self._src_numbers: dict[SrcClass, int] = {}

    def again(self, external: ExternalRoutes) -> AddressClasses:
        """These classes for a state in which Microsoft and the internet decide by
        ``external``: the numbers found so far are kept when it is the same tables (every
        class is), else numbering starts afresh. Prefixes, filters and proxies do not depend
        on what is up."""
        got = copy.copy(self)
        got.proxies = set(self.proxies)
        if external is self.external:
            got.dst_classes, got.src_classes = list(self.dst_classes), list(self.src_classes)
            got._dst_ids, got._src_ids = dict(self._dst_ids), dict(self._src_ids)
            got._dst_numbers, got._src_numbers = dict(self._dst_numbers), dict(self._src_numbers)
            return got
        got.external = external
        got.dst_classes, got.src_classes = [], []
        got._dst_ids, got._src_ids, got._dst_numbers, got._src_numbers = {}, {}, {}, {}
        return got

    def dst_class(self, dst: int) -> int:
        """The number of the destination's class: everything a routed stretch decides from a
        destination (the customer routers' route class, Microsoft's and the internet's decisions,
        and whether it stays in the customer's space or is a proxy the clients may reach).
        Packets whose destinations share a class are routed alike."""
        got = self._dst_ids.get(dst)
        if got is None:
            external = self.external
            inside = external.is_customer(dst) or dst in self.proxies
            cls = DstClass(
                self.routes.route_class(dst),
                external.microsoft_decision(dst),
                external.internet_decision(dst),
                inside,
            )
            got = self._dst_numbers.setdefault(cls, len(self.dst_classes))
            if got == len(self.dst_classes):
                self.dst_classes.append(cls)
            self._dst_ids[dst] = got
        return got

    def src_class(self, src: int) -> int:
        """The number of the source's class: the circuits whose inbound filter admits it, and
        the site whose perimeter keeps it from the internet."""
        got = self._src_ids.get(src)
        if got is None:
            admitted = frozenset(c for c, t in self.filters.items() if t.covers(src))
            blocked = None
            if src not in self.may_leave:
                found = self.no_direct.lookup(src)
                blocked = None if found is None else found[1]
            cls = SrcClass(admitted, blocked, self.egress.get(src))
            got = self._src_numbers.setdefault(cls, len(self.src_classes))
            if got == len(self.src_classes):
                self.src_classes.append(cls)
            self._src_ids[src] = got
        return got
