"""Proxies that are down, in the model: the clients' connections go where the network sends
them, and find nothing answering there (flow-semantics "Proxies")."""

from __future__ import annotations

from emulation import designs_proxies
from erplan.analyses.verdicts import verify
from erplan.catalogs import load_catalogs
from erplan.load import load_mapping

CATALOGS = load_catalogs()


def test_the_model_follows_the_clients_to_a_cloud_proxy_that_is_down() -> None:
    loaded = load_mapping(designs_proxies.cloud_proxy_down(), "<test>", CATALOGS)
    flow = next(f for f in verify(loaded, CATALOGS).per_flow() if f["key"] == "out/hq/8")
    assert (flow["verdict"], flow["share_affected"]) == ("unreachable", 1.0)
    # Their connections leave by the breakout before they find nothing there to answer.
    live = [b for b in flow["branches"] if b["weight"] > 0]
    assert [(b["forward_edge"], b["return_edge"]) for b in live] == [("breakout:hq-inet", None)]
