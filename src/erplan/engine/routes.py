"""What a router's table holds: the entries a destination may match (an internal prefix, a
Microsoft prefix with its communities) and the decision a router makes for it (engine.tables
makes them)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class Act(StrEnum):
    DELIVER = "deliver"  # the destination is here
    FORWARD = "forward"
    NO_ROUTE = "no-route"


class Decision(NamedTuple):
    act: Act
    nexts: tuple[str, ...] = ()
    route: str = ""  # which route, in words
    tie: str = ""  # an undecided tie at this router, in words
    culprit: tuple[str | int, ...] = ()
    # The nodes the router chose to head for (a circuit's CE, a breakout's edge): a transit
    # router may still send the packet elsewhere, but this router's choice needs them up.
    toward: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Internal:
    """An internal prefix and the nodes that hold it (several: anycast), and the entry of the
    longest prefix that covers it: a router that reaches no holder has no route for the prefix
    and forwards by that one (or by its default route)."""

    anchors: tuple[str, ...]
    covering: Entry | None = None


@dataclass(frozen=True, slots=True)
class Microsoft365:
    """A Microsoft prefix advertised over ExpressRoute with these service communities, and the
    regional communities of a Dynamics 365 prefix (Microsoft 365 prefixes carry none)."""

    communities: frozenset[str]
    regional: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Regional:
    """The route class of a prefix with regional communities: the circuits whose route filter
    admits it, and the communities a per-region local preference matches."""

    circuits: frozenset[str]
    regional: frozenset[str]


Entry = Internal | Microsoft365


@dataclass(frozen=True, slots=True)
class MsRoute:
    """A route Microsoft holds towards a customer prefix: a link's session or the internet."""

    node: str  # msee:C/L or "internet"
    as_path: int = 0

    @property
    def express_route(self) -> bool:
        return self.node != "internet"


RouteClass = Internal | Regional | frozenset[str] | None


class DstClass(NamedTuple):
    route: RouteClass
    microsoft: Decision
    internet: Decision
    inside: bool  # customer space, or a proxy clients may reach: no perimeter block


class SrcClass(NamedTuple):
    admitted: frozenset[str]  # circuits whose inbound filter passes it
    blocked: str | None  # the site whose perimeter keeps it from the internet
    egress: str | None  # the breakout its internet traffic must leave by (a proxy's egress)
