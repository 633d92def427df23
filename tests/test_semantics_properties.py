"""Properties over the shipped examples: names do not matter, a site nothing routes through
changes nothing, and ``erplan trace`` of a flow is that flow in ``erplan verify``."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import sys
from functools import cache
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from _semantics import results
from erplan.analyses.verdicts import FlowResult
from erplan.cli import main

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))
KINDS = ("sites", "breakouts", "circuits", "services", "devices", "servers")
RESERVED = {"internet", "expressroute"}

Names = dict[str, dict[str, str]]  # kind -> old name -> new name


@cache
def _raw(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return data


def example(path: Path) -> dict[str, Any]:
    return copy.deepcopy(_raw(path))


# -- renaming ----------------------------------------------------------------------------------


def rename(d: dict[str, Any], m: Names) -> dict[str, Any]:
    """The design with every object renamed and every reference to it followed."""
    d = copy.deepcopy(d)
    sites, bos, circs, devs = (m.get(k, {}) for k in ("sites", "breakouts", "circuits", "devices"))
    entries = {**circs, **bos}

    def devices(o: dict[str, Any]) -> None:
        if "devices" in o:
            o["devices"] = [devs.get(x, x) for x in o["devices"]]

    d["sites"] = {sites.get(k, k): v for k, v in d["sites"].items()}
    for s in d["sites"].values():
        for key in ("breakout", "resolver_egress"):
            if s.get(key) is not None:
                s[key] = bos.get(s[key], s[key])
        proxy = s.get("proxy") or {}
        if proxy.get("site") is not None:
            proxy["site"] = sites.get(proxy["site"], proxy["site"])
        if proxy.get("device") is not None:
            proxy["device"] = devs.get(proxy["device"], proxy["device"])
        devices(s)
    for w in d.get("wan") or []:
        w["between"] = [sites.get(x, x) for x in w["between"]]
    for kind in KINDS[1:]:
        if kind in d:
            d[kind] = {m[kind].get(k, k): v for k, v in d[kind].items()}
            for o in d[kind].values():
                o["site"] = sites.get(o["site"], o["site"])
                if "ipvpn_sites" in o:
                    o["ipvpn_sites"] = [sites.get(x, x) for x in o["ipvpn_sites"]]
                devices(o)
                for link in (o.get("links") or {}).values():
                    devices(link)
    for dev in (d.get("devices") or {}).values():
        if dev.get("egress") is not None:
            dev["egress"] = bos.get(dev["egress"], dev["egress"])
        if dev.get("upstream") is not None:
            dev["upstream"] = devs.get(dev["upstream"], dev["upstream"])
    security = d.get("security") or {}
    if "locations" in security:
        security["locations"] = [sites.get(x, x) for x in security["locations"]]
    for svc in (d.get("services") or {}).values():
        if "entry" in svc:
            svc["entry"] = [entries.get(x, x) for x in svc["entry"]]
        if "inbound_snat" in svc:
            svc["inbound_snat"] = {entries.get(k, k): v for k, v in svc["inbound_snat"].items()}
    return d


def _back(m: Names) -> Names:
    return {kind: {new: old for old, new in names.items()} for kind, names in m.items()}


def _edge(e: str | None, back: Names) -> str | None:
    if e is None:
        return None
    kind, rest = e.split(":", 1)
    if kind == "breakout":  # a breakout's edge is its name; a circuit's ends in /LINK
        return f"{kind}:{back['breakouts'].get(rest, rest)}"
    name, sep, link = rest.rpartition("/")
    return f"{kind}:{back[kind + 's'].get(name, name)}{sep}{link}"


def _key(k: str, back: Names) -> str:
    parts = k.split("/")
    kind = {"in": "services", "srv": "servers"}.get(parts[0], "sites")
    parts[1] = back[kind].get(parts[1], parts[1])
    return "/".join(parts)


def _culprit(c: tuple[str | int, ...], back: Names) -> tuple[str | int, ...]:
    if len(c) >= 2 and c[0] in back and isinstance(c[1], str):
        return (c[0], back[str(c[0])].get(c[1], c[1]), *c[2:])
    return c


def per_flow(rows: list[FlowResult], back: Names | None = None) -> dict[str, tuple[Any, ...]]:
    """flow key -> (verdict, shares, cause, culprit, tie, branches), in the original names."""
    b = back or {kind: {} for kind in KINDS}
    out: dict[str, tuple[Any, ...]] = {}
    for r in rows:
        branches = sorted(
            (
                _edge(x.forward.edge, b) or "",
                _edge(x.back.edge if x.back is not None else None, b) or "",
                x.outcome.value,
                round(x.weight, 9),
            )
            for x in r.trace.branches
        )
        for f in r.flows:
            out[_key(f.key, b)] = (
                r.verdict.value,
                round(r.share_affected, 9),
                round(r.share_warned, 9),
                r.cause_key,
                _culprit(r.culprit, b),
                r.tie,
                tuple(branches),
            )
    return out


@cache
def _baseline(path: Path) -> dict[str, tuple[Any, ...]]:
    return per_flow(results(example(path)))


# Names may hold the separators of element ids ('@' of a device's position, ':' of a kind, '%'
# of the escape); '/' is tests/test_separator_names.py's (flow keys here are split at '/').
NAME = st.from_regex(r"[a-z][a-z0-9@:%.-]{0,7}", fullmatch=True).filter(lambda n: n not in RESERVED)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(EXAMPLES), data=st.data())
def test_renaming_every_object_changes_no_verdict(path: Path, data: st.DataObject) -> None:
    """DESIGN.md "Flow semantics": "Renaming an object never changes a verdict" - nor its share,
    cause, culprit, tie or branches (compared per flow, names mapped back)."""
    d = example(path)
    olds = [(kind, name) for kind in KINDS for name in d.get(kind) or {}]
    news = data.draw(st.lists(NAME, min_size=len(olds), max_size=len(olds), unique=True))
    m: Names = {kind: {} for kind in KINDS}
    for (kind, old), new in zip(olds, news, strict=True):
        m[kind][old] = new
    got = per_flow(results(rename(d, m)), _back(m))
    assert got == _baseline(path)


# -- a site nothing routes through ---------------------------------------------------------------


def _prefixes(node: Any) -> list[IPv4Network]:
    """Every prefix written anywhere in a design (keys and values)."""
    out: list[IPv4Network] = []
    items = (
        list(node.items())
        if isinstance(node, dict)
        else list(enumerate(node))
        if isinstance(node, list)
        else []
    )
    for k, v in items:
        for x in (k, v):
            if isinstance(x, str) and "." in x and x[0].isdigit():
                with contextlib.suppress(ValueError):
                    out.append(IPv4Network(x, strict=False))
        if isinstance(v, dict | list):
            out.extend(_prefixes(v))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(EXAMPLES),
    data=st.data(),
    third=st.integers(min_value=0, max_value=511),
    lat=st.floats(min_value=-60, max_value=70),
    lon=st.floats(min_value=-180, max_value=180),
    latency=st.floats(min_value=0.5, max_value=300),
    cost=st.one_of(st.none(), st.floats(min_value=0.5, max_value=1000)),
)
def test_a_site_nothing_routes_through_changes_nothing(
    path: Path,
    data: st.DataObject,
    third: int,
    lat: float,
    lon: float,
    latency: float,
    cost: float | None,
) -> None:
    """flow-semantics "Hop by hop": each router decides with its own table. A site with its own
    prefixes, no users, no breakout or circuit, joined by one WAN link is a leaf: no shortest
    path crosses it, so no other site's flow changes. (Costs are positive here: a zero-cost
    link is test_semantics_routing.py::test_zero_cost_wan_link_makes_no_loop.)"""
    d = example(path)
    prefix = IPv4Network(f"198.{18 + third // 256}.{third % 256}.0/24")
    assert not any(prefix.overlaps(p) for p in _prefixes(d))
    anchor = data.draw(st.sampled_from(sorted(d["sites"])))
    leaf = "leaf-" + "x" * max(len(n) for n in d["sites"])  # a name no object has
    d["sites"][leaf] = {"location": {"lat": lat, "lon": lon}, "prefixes": [str(prefix)]}
    link: dict[str, Any] = {"between": [anchor, leaf], "latency_ms": latency}
    if cost is not None:
        link["cost"] = cost
    d.setdefault("wan", []).append(link)
    assert per_flow(results(d)) == _baseline(path)


# -- erplan trace is verify, one flow at a time -------------------------------------------------


def _cli(args: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(sys, "argv", ["erplan", *args])
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code in (0, 1), out.getvalue()
    got: dict[str, Any] = json.loads(out.getvalue())
    return got


def _summary(branches: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (b["forward_edge"] or "", b["return_edge"] or "", b["outcome"], round(b["weight"], 6))
        for b in branches
    )


def _traces(path: Path) -> list[list[str]]:
    """The trace commands that cover every row of the example's verify: every DNS flow, every
    inbound service, per outbound row one of its flows by an FQDN of its set, and every row's
    first flow by its key."""
    rows = results(example(path))
    out: list[list[str]] = []
    for r in rows:
        f = r.flow
        out.append(["--flow", f.key])
        if f.direction.value == "dns":
            out.append(["--dns", f.origin])
        elif f.direction.value == "inbound":
            out.append(["--inbound", f.origin])
        else:
            for g in r.flows:
                if g.fqdn:
                    out.append(["--from", g.origin, "--to", g.fqdn.replace("*", "x")])
                    break
    return out


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_trace_of_a_flow_equals_that_flow_in_verify(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/flow-semantics.md "Flows": "Every flow has a key, the same in erplan verify --format
    json and in erplan emulate"; a trace follows one flow: the same verdict, shares, tie and
    branches (edges each way, outcome, weight). Each traced branch's latency is the sum of its
    hops (DESIGN.md "Latency")."""
    verify = _cli(["verify", str(path), "--format", "json"], monkeypatch)
    rows: dict[str, dict[str, Any]] = {k: row for row in verify["flows"] for k in row["keys"]}
    assert rows
    for args in _traces(path):
        for traced in _cli(["trace", str(path), *args, "--format", "json"], monkeypatch)["flows"]:
            _same_flow(traced, rows)


def _same_flow(traced: dict[str, Any], rows: dict[str, dict[str, Any]]) -> None:
    (key,) = traced["keys"]
    row = rows[key]
    for field in ("verdict", "share_affected", "share_warned", "tie", "cause_key"):
        assert traced[field] == row[field], (key, field)
    assert _summary(traced["branches"]) == _summary(row["branches"]), key
    for b in traced["branches"]:
        for side in ("forward", "return"):
            p = b[side]
            if p is not None:
                hops = sum(h.get("ms", 0.0) for h in p["hops"])
                assert p["ms"] == pytest.approx(hops, abs=0.01 * (1 + len(p["hops"])))
        if b["return"] is not None:
            total = b["forward"]["ms"] + b["return"]["ms"]
            assert b["latency_ms"] == pytest.approx(total, abs=0.02)
