"""The fastest-egress table repaired after a failure is exactly the table searched again: on
random graphs full of ties (legs and starts on a coarse grid, so that many paths and egresses
are equally fast), with links and egresses removed, one or several at a time."""

from __future__ import annotations

import random

from erplan.analyses.fastest import (
    Links,
    Option,
    Searching,
    Start,
    removed_legs,
    repair,
    search,
)
from erplan.latency import Ms


def _graph(rng: random.Random, n: int) -> dict[str, list[tuple[str, float, bool]]]:
    links: dict[str, list[tuple[str, float, bool]]] = {f"site:{i}": [] for i in range(n)}
    edges: set[tuple[int, int]] = set()
    for i in range(1, n):  # a tree, then shortcuts; some sites left apart
        if rng.random() < 0.95:
            edges.add((rng.randrange(i), i))
    for _ in range(n):
        a, b = rng.sample(range(n), 2)
        edges.add((min(a, b), max(a, b)))
    for a, b in sorted(edges):
        ms = rng.choice((0.5, 1.0, 1.5, 2.0, 3.0))
        est = rng.random() < 0.3
        links[f"site:{a}"].append((f"site:{b}", ms, est))
        links[f"site:{b}"].append((f"site:{a}", ms, est))
    return links


def _starts(rng: random.Random, n: int, k: int) -> list[Start]:
    out: list[Start] = []
    for i in range(k):
        ms = rng.choice((1.0, 2.0, 2.5, 4.0))
        kind = "circuit" if i % 2 else "breakout"
        opt = Option(kind, f"e{i}", Ms(ms, rng.random() < 0.3))
        out.append((ms, i, f"site:{rng.randrange(n)}", opt))
    return out


def _without(links: Links, cut: set[frozenset[str]]) -> dict[str, list[tuple[str, float, bool]]]:
    return {u: [e for e in es if frozenset((u, e[0])) not in cut] for u, es in links.items()}


def test_repair_equals_search_on_random_graphs() -> None:
    rng = random.Random(12)
    repaired = 0
    for _ in range(400):
        n = rng.randrange(2, 40)
        links = _graph(rng, n)
        starts = _starts(rng, n, rng.randrange(1, 7))
        table = search(starts, links)
        pairs = sorted({frozenset((u, v)) for u, es in links.items() for v, _, _ in es}, key=sorted)
        cut = set(rng.sample(pairs, min(len(pairs), rng.choice((0, 1, 1, 2, 3)))))
        drop = {s[3].name for s in starts if rng.random() < 0.25}
        kept = [s for s in starts if s[3].name not in drop]
        after = [(ms, i, site, opt) for i, (ms, _, site, opt) in enumerate(kept)]
        links_after = _without(links, cut)
        removed = removed_legs(links, links_after)
        assert removed is not None
        assert len(removed) == 2 * len(cut)
        got = repair(table, starts, after, links, links_after, removed)
        assert got == search(after, links_after)
        repaired += 1
    assert repaired == 400


def test_repair_refuses_what_it_cannot_derive() -> None:
    rng = random.Random(3)
    links = _graph(rng, 10)
    starts = _starts(rng, 10, 3)
    table = search(starts, links)
    u = next(u for u, es in links.items() if es)
    v = links[u][0][0]
    longer = {
        k: [(x, m + 1 if (k, x) in ((u, v), (v, u)) else m, e) for x, m, e in es]
        for k, es in links.items()
    }
    assert removed_legs(links, longer) is None  # a leg changed
    assert removed_legs(_without(links, {frozenset((u, v))}), links) is None  # a leg added
    moved = [(s[0] + 1, *s[1:]) for s in starts]
    assert repair(table, starts, moved, links, links, []) is None  # a start changed
    added = [*starts, (1.0, 3, "site:0", Option("breakout", "new", Ms(1.0, False)))]
    assert repair(table, starts, added, links, links, []) is None  # a start added
    assert repair(table, starts, starts, links, links, []) is table  # nothing removed


def test_a_search_run_as_far_as_asked_answers_as_the_whole_search() -> None:
    rng = random.Random(5)
    for _ in range(300):
        n = rng.randrange(2, 40)
        links = _graph(rng, n)
        starts = _starts(rng, n, rng.randrange(1, 7))
        whole = search(starts, links)
        lazy = Searching(starts, links)
        asked = [f"site:{rng.randrange(n + 3)}" for _ in range(rng.randrange(0, 6))]
        for site in asked:  # some beyond the graph, some apart from every start
            assert lazy.get(site) == whole.get(site)
        assert len(lazy.done) <= len(whole)
        got = lazy.table()
        assert got == whole
        assert list(got) == list(whole)  # the same order of labelling: ties broke alike


def test_a_leg_off_every_fastest_path_leaves_the_label_as_it_is() -> None:
    """``tight_legs``: removing any other leg leaves a site's label's latency; a leg among
    them can change it (the set is not everything, nor too few)."""
    rng = random.Random(8)
    kept = changed = 0
    for _ in range(150):
        n = rng.randrange(2, 25)
        links = _graph(rng, n)
        starts = _starts(rng, n, rng.randrange(1, 5))
        pairs = sorted({frozenset((u, v)) for u, es in links.items() for v, _, _ in es}, key=sorted)
        for site in sorted(links)[:4]:
            before = Searching(starts, links).get(site)
            tight = Searching(starts, links).tight_legs(site, 1e-6)
            assert (before is None) <= (not tight)
            for leg in pairs:
                after = Searching(starts, _without(links, {leg})).get(site)
                same = (before is None and after is None) or (
                    before is not None
                    and after is not None
                    and abs(after.latency.ms - before.latency.ms) <= 1e-9
                )
                if leg not in tight:
                    assert same, (site, sorted(leg))
                    kept += 1
                changed += not same
    assert kept > 0 and changed > 0
