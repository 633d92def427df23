"""What `erplan generate all` renders for each shipped example, made once per test session."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from erplan.catalogs import load_catalogs
from erplan.generators.registry import Artifact, Context, generate
from erplan.load import LoadedDesign, load_design

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CATALOGS = load_catalogs()


def examples() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.yaml"))


@cache
def loaded(example: str) -> LoadedDesign:
    return load_design(EXAMPLES / f"{example}.yaml", CATALOGS)


@cache
def files(example: str, kind: str) -> dict[str, Artifact]:
    """The example's files of one generator, by relative path."""
    out = generate(loaded(example), CATALOGS, [kind], f"{example}.yaml")
    assert not out.refused, out.refused
    return {a.path: a for a in out.artifacts}


@cache
def context(example: str) -> Context:
    return Context(loaded(example), CATALOGS, f"{example}.yaml")


@cache
def refused(example: str, kind: str) -> bool:
    return bool(generate(loaded(example), CATALOGS, [kind], f"{example}.yaml").refused)
