"""Address ranges and prefix tables: the arithmetic every table of the network uses.

Addresses are plain ``int``s inside the engine (IPv4, 0 .. 2**32-1): they are compared and
hashed millions of times. A :class:`Range` is a run of consecutive addresses; the
:class:`Boundaries` of a design cut every prefix into the sub-ranges that all of its tables,
filters and pools treat alike (every prefix the design or the catalog names starts or ends at a
boundary), so one address per sub-range stands for all of them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Container, Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import Generic, TypeVar

V = TypeVar("V")


def addr(value: int) -> str:
    """An engine address as dotted quad."""
    return str(IPv4Address(value))


@dataclass(frozen=True, slots=True, order=True)
class Range:
    """Consecutive addresses ``start`` .. ``start + size - 1``."""

    start: int
    size: int

    @property
    def end(self) -> int:
        """One past the last address."""
        return self.start + self.size

    def __str__(self) -> str:
        if self.size == 1:
            return addr(self.start)
        length = 32 - (self.size.bit_length() - 1)
        if self.size & (self.size - 1) == 0 and self.start % self.size == 0:
            return f"{addr(self.start)}/{length}"
        return f"{addr(self.start)}-{addr(self.end - 1)}"


def first_host(net: IPv4Network) -> int:
    """The first usable address of a prefix (where a site's resolver and proxy run)."""
    start = int(net.network_address)
    return start + 1 if net.num_addresses > 2 else start


def net_range(net: IPv4Network) -> Range:
    return Range(int(net.network_address), net.num_addresses)


def merge(ranges: Iterable[Range]) -> list[Range]:
    """Sorted, overlapping and adjacent ranges joined."""
    out: list[Range] = []
    for r in sorted(ranges):
        if out and r.start <= out[-1].end:
            last = out[-1]
            out[-1] = Range(last.start, max(last.end, r.end) - last.start)
        else:
            out.append(r)
    return out


class Boundaries:
    """Every point where some prefix of the design starts or ends, sorted."""

    def __init__(self, prefixes: Iterable[IPv4Network]) -> None:
        points: set[int] = set()
        # Prefixes nest, so the innermost one over a sub-range names every prefix over it.
        self._inner: PrefixTable[int] = PrefixTable()
        for i, net in enumerate(prefixes):
            start = int(net.network_address)
            points.add(start)
            points.add(start + net.num_addresses)
            if self._inner.get(net) is None:
                self._inner.add(net, i)
        self._points = sorted(points)

    def split(self, ranges: Iterable[Range]) -> list[Range]:
        """The ranges cut at every boundary inside them (overlaps merged first)."""
        out: list[Range] = []
        pts = self._points
        for r in merge(ranges):
            lo, hi = bisect_right(pts, r.start), bisect_left(pts, r.end)
            start = r.start
            for p in pts[lo:hi]:
                out.append(Range(start, p - start))
                start = p
            out.append(Range(start, r.end - start))
        return out

    def classes(self, ranges: Iterable[Range], apart: Container[int]) -> list[tuple[int, int]]:
        """The sub-ranges grouped by the prefixes over them (those every table treats alike):
        per group, one address that stands for it — a host of its largest sub-range, none of
        the hosts ``apart`` (a resolver, a proxy, a server) — and the group's size."""
        groups: dict[int | None, list[Range]] = {}
        for part in self.split(ranges):
            found = self._inner.lookup(part.start)
            groups.setdefault(None if found is None else found[1], []).append(part)
        out = []
        for parts in groups.values():
            biggest = min(parts, key=lambda r: (-r.size, r.start))
            first = biggest.start + 1 if biggest.size > 2 else biggest.start
            address = next(
                (a for a in range(first, min(biggest.end, first + 8)) if a not in apart), first
            )
            out.append((address, sum(r.size for r in parts)))
        return sorted(out)


class PrefixTable(Generic[V]):
    """Longest-prefix match over IPv4 prefixes, with answers remembered per address."""

    __slots__ = ("_by_len", "_lens", "_memo")

    def __init__(self) -> None:
        self._by_len: dict[int, dict[int, V]] = {}
        self._lens: list[int] = []
        self._memo: dict[int, tuple[int, V] | None] = {}

    def add(self, net: IPv4Network, value: V) -> None:
        length = net.prefixlen
        bucket = self._by_len.get(length)
        if bucket is None:
            bucket = self._by_len[length] = {}
            self._lens = sorted(self._by_len, reverse=True)
        bucket[int(net.network_address)] = value
        self._memo.clear()

    def get(self, net: IPv4Network) -> V | None:
        """The value stored for exactly ``net``."""
        bucket = self._by_len.get(net.prefixlen)
        return None if bucket is None else bucket.get(int(net.network_address))

    def lookup(self, address: int) -> tuple[int, V] | None:
        """(prefix length, value) of the longest prefix containing ``address``."""
        memo = self._memo
        if address in memo:
            return memo[address]
        found: tuple[int, V] | None = None
        for length in self._lens:
            key = address & (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF if length else 0
            value = self._by_len[length].get(key)
            if value is not None:
                found = (length, value)
                break
        memo[address] = found
        return found

    def covering(self, net: IPv4Network) -> V | None:
        """The value of the longest prefix strictly shorter than ``net`` that contains it."""
        address = int(net.network_address)
        for length in self._lens:
            if length >= net.prefixlen:
                continue
            key = address & (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF if length else 0
            value = self._by_len[length].get(key)
            if value is not None:
                return value
        return None

    def covers(self, address: int) -> bool:
        return self.lookup(address) is not None

    def __len__(self) -> int:
        return sum(len(b) for b in self._by_len.values())
