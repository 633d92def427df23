"""Shared pieces of the emulation tests: skip reasons, random designs."""

from __future__ import annotations

import os
import random
from typing import Any

from erplan.emulate import missing_tools


def skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "emulation needs root (network namespaces)"
    missing = missing_tools()
    if missing:
        return f"emulation needs {', '.join(missing)} (make sysdeps)"
    return None


def random_design(seed: int) -> dict[str, Any]:
    """A small design: one or two sites, 2-3 circuits, pools shared or distinct, prepends,
    stateful devices present or not."""
    rng = random.Random(seed)
    n_circuits = rng.choice([2, 3])
    two_sites = rng.random() < 0.5
    sites: dict[str, Any] = {
        "a": {"location": "New York", "users": 100, "prefixes": ["10.1.0.0/16"]}
    }
    wan: list[Any] = []
    breakouts = {"a-inet": {"site": "a", "nat": ["20.9.4.1/32"], "advertises": ["20.9.4.0/24"]}}
    if two_sites:
        sites["b"] = {"location": "Amsterdam", "users": 100, "prefixes": ["10.2.0.0/16"]}
        wan.append({"between": ["a", "b"], "latency_ms": 80})
        breakouts["b-inet"] = {"site": "b", "nat": ["20.9.5.1/32"], "advertises": ["20.9.5.0/24"]}
    shared = rng.random() < 0.5
    circuits: dict[str, Any] = {}
    devices: dict[str, Any] = {}
    for i in range(n_circuits):
        site = "b" if two_sites and i % 2 == 1 else "a"
        pool = "20.9.2.0/29" if shared else f"20.9.2.{8 * i}/29"
        c: dict[str, Any] = {
            "peering_location": "New York" if site == "a" else "Amsterdam",
            "site": site,
            "peer_asn": 394500,
            "route_filter": ["Exchange", "SharePoint", "Skype", "Other Office 365"],
            "snat_pool": pool,
            "advertises": [pool],
        }
        if rng.random() < 0.4:
            c["prepend"] = {pool: rng.choice([1, 2])}
        if rng.random() < 0.6:
            dev = f"fw{i}"
            devices[dev] = {"kind": "firewall", "site": site}
            c["devices"] = [dev]
        circuits[f"c{i}"] = c
    design: dict[str, Any] = {
        "erplan": 1,
        "name": f"random design {seed}",
        "tenant": {"geography": "US", "services": ["Exchange", "SharePoint"]},
        "sites": sites,
        "wan": wan,
        "breakouts": breakouts,
        "circuits": circuits,
    }
    if devices:
        design["devices"] = devices
    return design
