"""The flows of a report row, kept small.

At 10,000 sites a report holds 710,000 flows in 40,000 rows; in a row of outbound flows every
field but those of the endpoint set is the first flow's. A row keeps its first flow and the ids
of its endpoint sets, and makes the others again when they are read, by the function that made
them in the first place (a few microseconds each): the flows as tuples were a sixth of the
memory of ``verify``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import overload

from erplan.catalogs import EndpointSet
from erplan.engine.trace import Flow


def has_udp_twin(es: EndpointSet) -> bool:
    """Whether a set's TCP flow has a UDP flow beside it: media and QUIC over UDP take the
    same path, NAT and state, so they share a row."""
    return bool(es.tcp_ports and es.udp_ports)


def udp_twin(flow: Flow, es: EndpointSet) -> Flow:
    """The UDP flow beside a set's TCP flow (``has_udp_twin``)."""
    return flow._replace(key=f"{flow.key}/udp", port=es.udp_ports[0], proto="udp")


# Makes the flows of one origin to the given sets, the first being ``first``'s set.
Remake = Callable[[Flow, tuple[int, ...]], Iterator[Flow]]


class Members(Sequence[Flow]):
    """A row's outbound flows: the first as it was traced, then per endpoint set its flow
    (made again when read) and that flow's UDP twin."""

    __slots__ = ("_n", "_remake", "first", "sets")

    def __init__(self, remake: Remake, first: Flow, sets: tuple[int, ...], n: int) -> None:
        self._remake = remake
        self.first = first
        self.sets = sets
        self._n = n

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[Flow]:
        return self._remake(self.first, self.sets)

    @overload
    def __getitem__(self, i: int) -> Flow: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Flow]: ...

    def __getitem__(self, i: int | slice) -> Flow | Sequence[Flow]:
        if i == 0:
            return self.first
        return tuple(self)[i]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Members):
            return self.first == other.first and self.sets == other.sets
        if isinstance(other, tuple):
            return tuple(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))  # equal to the tuple of its flows, so hashed alike

    def __repr__(self) -> str:
        return f"Members({self.first.key!r}, sets={self.sets!r}, n={self._n})"
