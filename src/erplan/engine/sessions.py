"""State on firewalls and NATs: what a session records, and what a NAT point does to the first
packet of a connection (docs/flow-semantics.md "Who translates", "State")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from erplan.engine.nodes import NatRules
from erplan.engine.ranges import addr
from erplan.latency import Ms, Point

Culprit = tuple[str | int, ...]


class Mode(Enum):
    NEW = "new"
    REPLY = "reply"


class Session(NamedTuple):
    table: str  # the session table: a device's name, or a NAT router
    node: str  # where it was created
    in_src: int
    in_dst: int
    out_src: int
    out_dst: int
    back: str  # the neighbour the first packet came from: replies return that way


@dataclass(frozen=True, slots=True)
class Context:
    """What the latency of a flow's legs depends on."""

    ms_point: Point | None = None  # the Microsoft end of the flow (a front end)
    microsoft_end: bool = True  # the far end is in Microsoft's network
    given: tuple[tuple[str, Ms], ...] = ()  # (breakout, leg) from the origin's given latency

    def given_leg(self, breakout: str) -> Ms | None:
        """The leg from ``breakout`` to Microsoft that the origin's given latency implies."""
        return next((leg for name, leg in self.given if name == breakout), None)


def pre_routing(rules: NatRules, src: int, dst: int) -> list[tuple[int, int, float, str]]:
    """DNAT, then inbound source NAT into the entry's pool (each sub-range a branch)."""
    mapped = rules.dnat.get(dst)
    if mapped is None:
        return [(src, dst, 1.0, "")]
    service, internal = mapped
    note = f"destination NAT {addr(dst)} -> {addr(internal)} ({service})"
    pool = rules.inbound.get(service)
    if pool is None:
        return [(src, internal, 1.0, note)]
    parts, size = pool
    return [
        (p.start, internal, p.size / size, f"{note}; inbound source NAT into {p}") for p in parts
    ]


def device_options(
    rules: NatRules, outward: bool, src: int, dst: int
) -> list[tuple[int, int, float, str]]:
    """What a NAT device does to the first packet of a connection."""
    if not outward:
        if rules.static:
            ndst = static_nat(rules, src, dst)[1]
            return [(src, ndst, 1.0, "static NAT" if ndst != dst else "")]
        return pre_routing(rules, src, dst)
    if rules.static:
        nsrc = static_nat(rules, src, dst)[0]
        return [(nsrc, dst, 1.0, "static NAT" if nsrc != src else "")]
    if rules.snat:
        return [
            (p.start, dst, p.size / rules.snat_size, f"source NAT into {p}") for p in rules.snat
        ]
    return [(src, dst, 1.0, "")]


def static_nat(rules: NatRules, src: int, dst: int) -> tuple[int, int]:
    """Stateless one-to-one NAT: published -> internal inbound, internal -> published out."""
    nsrc = rules.static_back.get(src, src)
    mapped = rules.dnat.get(dst)
    return nsrc, (mapped[1] if mapped is not None else dst)


def unique(items: list[str]) -> tuple[str, ...]:
    if len(items) < 2:
        return tuple(items)
    return tuple(dict.fromkeys(items))


def join(a: str, b: str) -> str:
    if not b:
        return a
    return f"{a}; {b}" if a else b
