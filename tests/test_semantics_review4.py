"""A fourth review of the flow engine against the emulation (`erplan emulate`): small designs
in tests/emulation/designs_review4.py, each isolating one point a naive reading gets wrong,
judged by `erplan verify` (verdict, cause, culprit, share, edges each way) and built for real
(24 connections a flow), compared flow by flow (erplan.analyses.agreement).

PLACEHOLDER
"""

from __future__ import annotations

from _semantics import flow, owners, results, share
from emulation import designs_review4 as designs

ER_KEYS = ("out/hq/1", "out/hq/2", "out/hq/9", "out/hq/10")


def test_a_pool_piece_advertised_only_on_a_link_that_is_down_names_that_advertisement() -> None:
    """Microsoft's source filter is the circuit's configured prefixes (both links), so the
    requests from the half of the pool only the secondary link advertises pass; the secondary's
    session is down, so Microsoft has no route back: the fix is to advertise that half where
    the replies can come back, and the culprit is that advertisement (it was none)."""
    rs = results(designs.pool_partly_advertised_on_the_link_that_is_up())
    for key in ER_KEYS:
        r = flow(rs, key)
        assert (r.verdict.value, share(r), r.cause_key) == ("blackhole", 0.5, "no-route-back")
        assert r.culprit == ("circuits", "c1", "links", "secondary", "advertises", 0), key
        assert "secondary" in r.cause and "20.127.0.4" in r.cause, r.cause
        assert owners(r) == {"circuit:c1": 1.0}
