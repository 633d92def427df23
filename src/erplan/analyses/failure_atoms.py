"""Failure atoms: the single elements that can fail (a circuit, one of its links, a peering
location, a breakout, the resolvers at an egress, a WAN link, a device), each in words, the
touch keys it takes down, and the design with them down (``apply``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from erplan.model import CircuitLink, Design, LinkName

KINDS = ("circuit", "link", "location", "breakout", "resolver", "wan", "device")


@dataclass(frozen=True, slots=True, order=True)
class Atom:
    """One element that fails: ``kind`` and its name (``wan``: ``A|B#index``; ``link``:
    ``CIRCUIT/primary``)."""

    kind: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"


def atoms(design: Design, kinds: Iterable[str] = KINDS) -> list[Atom]:
    """Every single failure of the design, in a stable order."""
    wanted = set(kinds)
    out: list[Atom] = []
    if "circuit" in wanted:
        out += [Atom("circuit", c) for c in design.circuits]
    if "link" in wanted:
        out += [Atom("link", f"{c}/{li.value}") for c in design.circuits for li in LinkName]
    if "location" in wanted:
        locs = dict.fromkeys(c.peering_location for c in design.circuits.values())
        out += [Atom("location", p) for p in locs]
    if "breakout" in wanted:
        out += [Atom("breakout", b) for b in design.breakouts]
    if "resolver" in wanted:
        used = dict.fromkeys(
            r for s in design.sites if (r := design.site_resolver_egress(s)) is not None
        )
        out += [Atom("resolver", b) for b in used]
    if "wan" in wanted:
        out += [Atom("wan", f"{a}|{b}#{i}") for i, (a, b) in _wan(design)]
    if "device" in wanted:
        out += [Atom("device", d) for d in design.devices]
    return out


def _wan(design: Design) -> Iterator[tuple[int, tuple[str, str]]]:
    for i, w in enumerate(design.wan):
        a, b = sorted(w.between)
        yield i, (a, b)


def describe(atom: Atom, design: Design) -> str:
    k, n = atom.kind, atom.name
    if k == "circuit":
        c = design.circuits[n]
        return f"circuit {n} ({c.peering_location}, at {c.site})"
    if k == "link":
        circ, _, link = n.rpartition("/")  # circuit names may hold "/"
        return f"the {link} link of circuit {circ}"
    if k == "location":
        names = [c for c, x in design.circuits.items() if x.peering_location == n]
        return f"peering location {n} (circuits {', '.join(names)})"
    if k == "breakout":
        return f"internet breakout {n} (at {design.breakouts[n].site})"
    if k == "resolver":
        return f"the DNS resolvers at egress {n} (the breakout still carries traffic)"
    if k == "wan":
        return f"WAN link {n.split('#')[0].replace('|', ' - ')}"
    return f"device {n} ({design.devices[n].kind.value} at {design.devices[n].site})"


def touch_keys(atom: Atom, design: Design) -> set[str]:
    """The keys (``paths.touched``) of every element the atom takes down."""
    k, n = atom.kind, atom.name
    if k == "link":
        return {f"circuit:{n.rpartition('/')[0]}"}
    if k == "location":
        return {f"circuit:{c}" for c, x in design.circuits.items() if x.peering_location == n}
    if k == "wan":
        return {f"wan:{n.split('#')[0]}"}
    return {atom.key}


def apply(design: Design, failed: Sequence[Atom]) -> Design:
    """The design with the atoms down (a resolver failure leaves the design as it is: the
    engine is told, ``resolvers_down``)."""
    circuits = dict(design.circuits)
    breakouts = dict(design.breakouts)
    devices = dict(design.devices)
    wan = list(design.wan)
    for a in failed:
        if a.kind == "circuit":
            circuits[a.name] = circuits[a.name].model_copy(update={"up": False})
        elif a.kind == "location":
            for c, x in list(circuits.items()):
                if x.peering_location == a.name:
                    circuits[c] = x.model_copy(update={"up": False})
        elif a.kind == "link":
            c, _, link = a.name.rpartition("/")
            x = circuits[c]
            name = LinkName(link)
            old = x.links.get(name) or CircuitLink(silence={})
            links = {**x.links, name: old.model_copy(update={"up": False})}
            circuits[c] = x.model_copy(update={"links": links})
        elif a.kind == "breakout":
            breakouts[a.name] = breakouts[a.name].model_copy(update={"up": False})
        elif a.kind == "device":
            devices[a.name] = devices[a.name].model_copy(update={"up": False})
        elif a.kind == "wan":
            i = int(a.name.rsplit("#", 1)[1])
            wan[i] = wan[i].model_copy(update={"up": False})
    return design.model_copy(
        update={"circuits": circuits, "breakouts": breakouts, "devices": devices, "wan": wan}
    )
