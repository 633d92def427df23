"""URL patterns of the web service: the memoised matcher agrees with a regular-expression
reading of the patterns, and a hostile pattern (many ``*``) costs polynomial time."""

from __future__ import annotations

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from erplan.catalogs import Catalogs, EndpointSet, load_catalogs
from erplan.catalogs.catalog import _url_matches


def _regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for label in pattern.lower().split("."):
        if label == "*":
            parts.append(r"[^.]+(?:\.[^.]+)*")  # one or more whole labels
        else:
            parts.append("[^.]*".join(re.escape(piece) for piece in label.split("*")))
    return re.compile(r"\.".join(parts))


labels = st.sampled_from(["a", "b", "ab", "*", "a*", "*b"])
hosts = st.lists(st.sampled_from(["a", "b", "ab", "ba", "aab"]), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(labels, min_size=1, max_size=6), hosts)
def test_matcher_agrees_with_a_regular_expression(pattern: list[str], host: list[str]) -> None:
    p, h = ".".join(pattern), ".".join(host)
    assert _url_matches(p, h) == bool(_regex(p).fullmatch(h))


def test_a_pattern_of_many_stars_is_matched_quickly() -> None:
    host = ".".join(["a"] * 60)
    hostile = ".".join(["*"] * 40) + ".zz"  # cannot match: every split would be tried
    start = time.perf_counter()
    assert not _url_matches(hostile, host)
    assert _url_matches(".".join(["*"] * 8) + ".a", host)
    assert time.perf_counter() - start < 0.5  # exponential before: 19 s for eight stars


def test_a_hostile_download_does_not_slow_fqdn_lookups_down() -> None:
    shipped = load_catalogs()
    hostile = EndpointSet(
        id=999,
        service_area="Common",
        display_name="hostile",
        urls=(".".join(["*"] * 12) + ".zz",),
        ips=(),
        tcp_ports=(443,),
        udp_ports=(),
        express_route=False,
        category="Default",
        required=False,
    )
    cat = Catalogs(
        peering_locations=shipped.peering_locations,
        places=shipped.places,
        front_ends=shipped.front_ends,
        geographies=shipped.geographies,
        services=shipped.services,
        regional_communities=shipped.regional_communities,
        endpoint_sets=(*shipped.endpoint_sets, hostile),
    )
    start = time.perf_counter()
    found = cat.sets_for_fqdn(".".join(["x"] * 30) + ".sharepoint.com")
    assert time.perf_counter() - start < 0.5
    assert [s.id for s in found] == [s.id for s in shipped.sets_for_fqdn("x.sharepoint.com")]
