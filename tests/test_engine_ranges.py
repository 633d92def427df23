"""Address ranges (engine/ranges.py): how a pool or a site prefix is cut into the sub-ranges every
table treats alike, which address stands for each, and how a range reads in a trace
(docs/flow-semantics.md "Address ranges")."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from _semantics import circuit, flow, results, two_sites
from erplan.engine.ranges import Boundaries, PrefixTable, Range, first_host, merge, net_range


def ip(text: str) -> int:
    return int(IPv4Address(text))


def net(text: str) -> Range:
    return net_range(IPv4Network(text))


# -- how a range reads -----------------------------------------------------------------------


def test_an_aligned_power_of_two_range_reads_as_a_prefix() -> None:
    assert str(net("20.2.2.0/29")) == "20.2.2.0/29"
    assert str(net("20.2.2.4/30")) == "20.2.2.4/30"
    assert str(net("20.2.2.6/31")) == "20.2.2.6/31"
    assert str(net("0.0.0.0/0")) == "0.0.0.0/0"


def test_one_address_reads_as_the_address() -> None:
    assert str(Range(ip("20.2.2.5"), 1)) == "20.2.2.5"


def test_an_unaligned_or_uneven_range_reads_as_first_to_last() -> None:
    # a /30's worth of addresses that does not start on a /30 boundary
    assert str(Range(ip("20.2.2.2"), 4)) == "20.2.2.2-20.2.2.5"
    # six addresses: no prefix holds exactly these
    assert str(Range(ip("20.2.2.0"), 6)) == "20.2.2.0-20.2.2.5"
    assert str(Range(ip("20.2.2.0"), 3)) == "20.2.2.0-20.2.2.2"


def test_a_trace_names_each_pool_sub_range_it_translates_into() -> None:
    """A pool whose upper half eu-er advertises more specifically is two sub-ranges; the
    request's hop says which one each branch was translated into."""
    d = two_sites()
    d["circuits"]["eu-er"] = circuit("eu", "Amsterdam", None, advertises=["20.2.2.4/30"])
    r = flow(results(d), "out/us/1")
    actions = {
        h.action.rpartition("source NAT into ")[2]
        for b in r.trace.branches
        for h in b.forward.hops
        if "source NAT into" in h.action
    }
    assert actions == {"20.2.2.0/30", "20.2.2.4/30"}


# -- merging and splitting -------------------------------------------------------------------


def test_merge_joins_overlapping_and_adjacent_ranges_and_keeps_gaps() -> None:
    a, b = Range(100, 10), Range(110, 5)  # adjacent
    c = Range(105, 20)  # overlaps both, reaches further
    gap = Range(126, 4)  # one address after c's end
    assert merge([gap, c, b, a]) == [Range(100, 25), Range(126, 4)]
    assert merge([a, b]) == [Range(100, 15)]


def test_merge_keeps_the_larger_end_of_a_contained_range() -> None:
    assert merge([Range(100, 50), Range(110, 5)]) == [Range(100, 50)]
    assert merge([]) == []


def test_split_cuts_at_every_prefix_boundary_inside_a_range() -> None:
    b = Boundaries([IPv4Network("20.2.2.0/29"), IPv4Network("20.2.2.4/30")])
    assert b.split([net("20.2.2.0/29")]) == [net("20.2.2.0/30"), net("20.2.2.4/30")]
    # a range no boundary crosses stays whole
    assert b.split([net("10.1.0.0/16")]) == [net("10.1.0.0/16")]
    # overlapping ranges are merged first, so no address is counted twice
    parts = b.split([net("20.2.2.0/29"), net("20.2.2.4/30")])
    assert sum(p.size for p in parts) == 8


def test_split_of_a_range_starting_on_a_boundary_makes_no_empty_piece() -> None:
    b = Boundaries([IPv4Network("10.1.0.0/16"), IPv4Network("10.1.1.0/24")])
    parts = b.split([net("10.1.0.0/16")])
    assert parts == [net("10.1.0.0/24"), net("10.1.1.0/24"), Range(ip("10.1.2.0"), 65024)]
    assert all(p.size > 0 for p in parts)


# -- classes: one address per group of sub-ranges --------------------------------------------


def test_classes_group_sub_ranges_under_the_same_innermost_prefix() -> None:
    """A site /16 with a more specific /24 in its middle: the /24 is one class, the two pieces of
    the /16 around it are the other (every table treats them alike), with their summed size."""
    b = Boundaries([IPv4Network("10.1.0.0/16"), IPv4Network("10.1.128.0/24")])
    assert b.classes([net("10.1.0.0/16")], ()) == [
        (ip("10.1.0.1"), 65536 - 256),  # the first host of the larger piece
        (ip("10.1.128.1"), 256),
    ]


def test_a_class_is_represented_by_a_host_of_its_largest_piece() -> None:
    b = Boundaries([IPv4Network("10.1.0.0/16"), IPv4Network("10.1.1.0/24")])
    got = dict((size, a) for a, size in b.classes([net("10.1.0.0/16")], ()))
    # pieces 10.1.0.0/24 (256) and 10.1.2.0-10.1.255.255 (65024): the larger one speaks
    assert got[65536 - 256] == ip("10.1.2.1")
    assert got[256] == ip("10.1.1.1")


def test_a_class_representative_avoids_the_hosts_set_apart() -> None:
    """The resolver, proxy or a server runs on the first host; a class must not be represented
    by it (its packets would be that host's)."""
    b = Boundaries([IPv4Network("10.1.0.0/16")])
    assert b.classes([net("10.1.0.0/16")], {ip("10.1.0.1")}) == [(ip("10.1.0.2"), 65536)]
    apart = {ip("10.1.0.1"), ip("10.1.0.2"), ip("10.1.0.3")}
    assert b.classes([net("10.1.0.0/16")], apart) == [(ip("10.1.0.4"), 65536)]
    # only the first eight hosts are tried: then the first host stands for the class anyway
    crowded = set(range(ip("10.1.0.1"), ip("10.1.0.9")))
    assert b.classes([net("10.1.0.0/16")], crowded) == [(ip("10.1.0.1"), 65536)]


def test_a_tiny_class_is_represented_by_its_own_addresses() -> None:
    b = Boundaries([IPv4Network("20.2.2.0/31"), IPv4Network("20.2.2.9/32")])
    assert b.classes([net("20.2.2.0/31")], ()) == [(ip("20.2.2.0"), 2)]
    assert b.classes([net("20.2.2.9/32")], ()) == [(ip("20.2.2.9"), 1)]
    # a /30's four addresses: network address skipped
    b = Boundaries([IPv4Network("20.2.2.4/30")])
    assert b.classes([net("20.2.2.4/30")], ()) == [(ip("20.2.2.5"), 4)]


def test_addresses_under_no_prefix_form_their_own_class() -> None:
    b = Boundaries([IPv4Network("10.1.0.0/24")])
    got = b.classes([net("10.1.0.0/23")], ())
    assert got == [(ip("10.1.0.1"), 256), (ip("10.1.1.1"), 256)]


# -- prefix tables ---------------------------------------------------------------------------


def test_prefix_table_longest_match_wins_whatever_the_order_added() -> None:
    t: PrefixTable[str] = PrefixTable()
    t.add(IPv4Network("10.1.1.0/24"), "site")
    t.add(IPv4Network("0.0.0.0/0"), "default")
    t.add(IPv4Network("10.0.0.0/8"), "wan")
    assert t.lookup(ip("10.1.1.7")) == (24, "site")
    assert t.lookup(ip("10.9.9.9")) == (8, "wan")
    assert t.lookup(ip("192.0.2.1")) == (0, "default")
    assert t.lookup(ip("255.255.255.255")) == (0, "default")
    assert len(t) == 3


def test_prefix_table_answers_change_when_a_more_specific_prefix_is_added() -> None:
    t: PrefixTable[str] = PrefixTable()
    t.add(IPv4Network("10.0.0.0/8"), "wan")
    assert t.lookup(ip("10.1.1.7")) == (8, "wan")
    assert not t.covers(ip("11.0.0.1"))
    t.add(IPv4Network("10.1.1.0/24"), "site")
    assert t.lookup(ip("10.1.1.7")) == (24, "site")
    assert t.covers(ip("10.200.0.1"))


def test_prefix_table_get_is_exact_not_longest_match() -> None:
    t: PrefixTable[str] = PrefixTable()
    t.add(IPv4Network("10.0.0.0/8"), "wan")
    assert t.get(IPv4Network("10.0.0.0/8")) == "wan"
    assert t.get(IPv4Network("10.0.0.0/16")) is None
    assert t.get(IPv4Network("10.1.0.0/8", strict=False)) == "wan"
    assert t.lookup(ip("11.0.0.0")) is None


def test_first_host_skips_the_network_address_only_where_there_are_hosts() -> None:
    assert first_host(IPv4Network("10.1.0.0/16")) == ip("10.1.0.1")
    assert first_host(IPv4Network("10.1.0.0/30")) == ip("10.1.0.1")
    assert first_host(IPv4Network("10.1.0.0/31")) == ip("10.1.0.0")
    assert first_host(IPv4Network("10.1.0.7/32")) == ip("10.1.0.7")
