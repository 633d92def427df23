"""The network's vocabulary: what kind of node a router or device is, the nodes themselves, the
wires between routers and what a NAT point translates (docs/flow-semantics.md "The network",
"Who translates"). ``network.py`` builds them from the design."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from erplan.engine.ranges import Range
from erplan.facts_edges import Edge, NatPoint
from erplan.latency import Ms
from erplan.model import LinkName


class Kind(StrEnum):
    LAN = "hosts"
    SITE = "site"
    DEVICE = "device"
    CE = "customer-edge"
    LINK = "link-edge"
    MSEE = "msee"
    BREAKOUT = "breakout-edge"
    INTERNET = "internet"
    MICROSOFT = "microsoft"


@dataclass(slots=True, eq=False)
class NatRules:
    """What one NAT point translates (docs/flow-semantics.md "Who translates")."""

    point: NatPoint
    outer: str  # the router on the outside of the translation
    snat: tuple[Range, ...] = ()  # the pool's sub-ranges, outbound
    snat_size: int = 0
    dnat: dict[int, tuple[str, int]] = field(default_factory=dict)  # public -> (service, internal)
    inbound: dict[str, tuple[tuple[Range, ...], int]] = field(default_factory=dict)
    static: bool = False
    static_back: dict[int, int] = field(default_factory=dict)  # internal -> public (static NAT)


@dataclass(slots=True, eq=False)
class Node:
    id: str
    kind: Kind
    label: str
    site: str | None = None  # customer nodes: the site they stand at
    name: str = ""  # the design object: site, device, circuit or breakout name
    link: LinkName | None = None
    parent: str | None = None  # stub routers: the router towards the site router
    up: bool = True
    stateful: bool = False
    nat: NatRules | None = None
    session: str = ""  # session table key (a device's name is shared by all its positions)
    edge: Edge | None = None
    culprit: tuple[str | int, ...] = ()  # where the node is defined in the design
    path: str | None = None  # the circuit or breakout whose path it stands on


@dataclass(frozen=True, slots=True)
class Wire:
    """A connection between two routers ``a`` and ``b``, through ``devices`` (from ``a``)."""

    a: str
    b: str
    devices: tuple[str, ...]
    up: bool
    leg: Ms  # round trip of the leg (parallel WAN links: the fastest)
    cost: int = 0  # IGP cost (WAN links)
    # Parallel WAN links of equal cost that are up: each one's round trip, fastest first (one
    # wire stands for them all; each carries an equal share). Empty for a single link.
    legs: tuple[Ms, ...] = ()

    def devices_from(self, start: str) -> tuple[str, ...]:
        return self.devices if start == self.a else self.devices[::-1]
