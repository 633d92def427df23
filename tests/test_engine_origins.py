"""The flows the design implies (docs/flow-semantics.md "Flows"): which sites resolve, which
endpoint sets each origin connects to, the address geoDNS answers with, where a proxied flow
starts, and each inbound flow with its initiator's sources."""

from __future__ import annotations

from typing import Any

from _semantics import CATALOGS, load, one_site
from erplan.engine import Engine


def _engine(d: dict[str, Any]) -> Engine:
    return Engine(load(d).design, CATALOGS)


def test_a_server_connects_to_each_set_it_names_once() -> None:
    """servers.connects_to lists service areas, set ids and host names: each set is one flow,
    whichever way it was named and however often."""
    d = one_site()
    d["servers"] = {
        "hub": {"site": "us", "address": "10.1.5.5", "connects_to": ["1", "Exchange", "1"]}
    }
    e = _engine(d)
    keys = [f.key for f in e.flows() if f.key.startswith("srv/")]
    assert len(keys) == len(set(keys))
    assert "srv/hub/1" in keys
    exchange = {es.id for es in CATALOGS.sets_for_service_area("Exchange") if es.ips or es.urls}
    assert {int(k.split("/")[2]) for k in keys if not k.endswith("/udp")} == exchange
