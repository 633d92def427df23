"""Address arithmetic of the emulation: ranges a design treats alike, pool slots, free blocks.

The emulation derives these itself from the design (it never asks the flow engine): a site
prefix or a pool is cut at every boundary of every prefix the design mentions, so each piece is
treated alike by every table, advertisement, filter and pool, and connections are opened from
(or translated into) every piece.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

# Enough slots that a pool piece is drawn close to its share of the pool's addresses.
POOL_SLOTS = 256


@dataclass(frozen=True, slots=True, order=True)
class AddressRange:
    """Inclusive range of addresses [first, last]."""

    first: IPv4Address
    last: IPv4Address

    @property
    def size(self) -> int:
        return int(self.last) - int(self.first) + 1

    def __str__(self) -> str:
        if self.first == self.last:
            return str(self.first)
        return f"{self.first}-{self.last}"

    def address(self, offset: int) -> IPv4Address:
        return IPv4Address(int(self.first) + offset % self.size)

    def contains(self, address: IPv4Address) -> bool:
        return self.first <= address <= self.last


def split_ranges(
    blocks: Iterable[IPv4Network], boundaries: Iterable[IPv4Network]
) -> list[AddressRange]:
    """Cut each block at the first and last address of every boundary prefix that overlaps it.

    The pieces cover every block exactly once (overlapping blocks are merged first), in address
    order. A piece is never split by a prefix it does not overlap, so addresses of one piece
    are inside exactly the same design prefixes.
    """
    spans = _merge((int(b.network_address), int(b.broadcast_address)) for b in blocks)
    cuts: set[int] = set()
    for prefix in boundaries:
        cuts.add(int(prefix.network_address))
        cuts.add(int(prefix.broadcast_address) + 1)
    out: list[AddressRange] = []
    for first, last in spans:
        inside = sorted(c for c in cuts if first < c <= last)
        start = first
        for cut in inside:
            out.append(AddressRange(IPv4Address(start), IPv4Address(cut - 1)))
            start = cut
        out.append(AddressRange(IPv4Address(start), IPv4Address(last)))
    return out


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def spread(piece: AddressRange, count: int, rng: random.Random) -> list[IPv4Address]:
    """``count`` addresses of a piece: its first and last, then distinct random ones (with
    repeats only when the piece is smaller than ``count``)."""
    if count <= 0:
        return []
    chosen: list[int] = [0]
    if count > 1 and piece.size > 1:
        chosen.append(piece.size - 1)
    pool = piece.size - len(chosen)
    extra = count - len(chosen)
    if pool > 0 and extra > 0:
        if pool <= 4 * extra:
            middle = list(range(1, piece.size - 1))
            rng.shuffle(middle)
            chosen.extend(middle[:extra])
        else:
            picked: set[int] = set()
            while len(picked) < extra:
                picked.add(rng.randrange(1, piece.size - 1))
            chosen.extend(sorted(picked))
    while len(chosen) < count:
        chosen.append(chosen[len(chosen) % max(1, piece.size)])
    return [piece.address(i) for i in chosen[:count]]


def pool_slots(
    pool: Sequence[IPv4Network], boundaries: Iterable[IPv4Network], slots: int = POOL_SLOTS
) -> list[IPv4Address]:
    """Addresses a NAT draws from at random, one per slot, so that every address of a small
    pool is a slot and every piece of a large pool gets slots in proportion to its size (at
    least one: a piece smaller than 1/``slots`` of the pool is drawn slightly too often)."""
    pieces = split_ranges(pool, boundaries)
    total = sum(p.size for p in pieces)
    if total <= slots:
        return [p.address(i) for p in pieces for i in range(p.size)]
    counts = [max(1, p.size * slots // total) for p in pieces]
    out: list[IPv4Address] = []
    for piece, n in zip(pieces, counts, strict=True):
        step = piece.size / n
        out.extend(piece.address(int(k * step + step / 2)) for k in range(n))
    return out


def first_usable(prefix: IPv4Network) -> IPv4Address:
    """The first usable address of a prefix (the network address of a /31 or /32)."""
    if prefix.prefixlen >= 31:
        return prefix.network_address
    return prefix.network_address + 1


# Blocks the emulation may take its own addresses from (router loopbacks, links between
# namespaces, internet hosts): the first one no design or catalog address overlaps is used.
INFRA_CANDIDATES = (
    "100.64.0.0/16",
    "100.100.0.0/16",
    "198.18.0.0/16",
    "172.30.0.0/16",
    "10.254.0.0/16",
    "192.168.254.0/24",
)
INTERNET_CANDIDATES = (
    "198.51.100.0/24",
    "203.0.113.0/24",
    "192.0.2.0/24",
    "100.127.255.0/24",
    "198.19.255.0/24",
)


class BlockExhausted(ValueError):
    """No candidate block is free of design and catalog addresses."""


def free_block(candidates: Iterable[str], taken: Sequence[IPv4Network]) -> IPv4Network:
    for text in candidates:
        block = IPv4Network(text)
        if not any(block.overlaps(t) for t in taken):
            return block
    raise BlockExhausted("every candidate block overlaps an address of the design")


class Allocator:
    """Hands out /32 loopbacks and /30 link subnets from one block, in order."""

    def __init__(self, block: IPv4Network) -> None:
        self.block = block
        half = list(block.subnets(prefixlen_diff=1))
        self._links = half[0].subnets(new_prefix=30)
        self._hosts = half[1].hosts()

    def loopback(self) -> IPv4Address:
        try:
            return next(self._hosts)
        except StopIteration as exc:
            raise BlockExhausted(f"no loopback address left in {self.block}") from exc

    def link(self) -> IPv4Network:
        try:
            return next(self._links)
        except StopIteration as exc:
            raise BlockExhausted(f"no link subnet left in {self.block}") from exc


def link_ends(subnet: IPv4Network) -> tuple[IPv4Address, IPv4Address]:
    """The two addresses of a point-to-point subnet: customer first, Microsoft second."""
    if subnet.prefixlen >= 31:
        return subnet.network_address, subnet.broadcast_address
    return subnet.network_address + 1, subnet.network_address + 2
