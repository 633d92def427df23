"""Golden PAC files of the shipped examples (tests/golden/pac/<example>/<site>.pac), each with
the guide sentence it implements (tests/golden/pac/GUIDE.yaml). On a mismatch the generated
file is written beside the golden one as ``<site>.pac.actual`` for review; copy it over the
golden file when the change is intended."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from _pac_engines import ENGINES, run
from erplan.catalogs import load_catalogs
from erplan.generators.pac import file_stems, render_pac
from erplan.generators.plan import plan
from erplan.load import load_design

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "pac"
EXAMPLES = ROOT / "examples"
DATE = "2026-01-01"
INDEX: list[dict[str, Any]] = YAML(typ="safe").load((GOLDEN / "GUIDE.yaml").read_text())


def generated(example: str) -> dict[str, str]:
    catalogs = load_catalogs()
    path = EXAMPLES / f"{example}.yaml"
    p = plan(load_design(path, catalogs), catalogs, file=path.name)
    stems = file_stems(s.site for s in p.sites)
    return {f"{stems[s.site]}.pac": render_pac(p, s, DATE) for s in p.sites}


def examples_with_pac() -> list[str]:
    return sorted(d.name for d in GOLDEN.iterdir() if d.is_dir())


@pytest.mark.parametrize("example", examples_with_pac())
def test_golden_pac_files(example: str) -> None:
    folder = GOLDEN / example
    got = generated(example)
    expected = {p.name for p in folder.glob("*.pac")}
    wrong = []
    for name, text in got.items():
        golden = folder / name
        actual = folder / f"{name}.actual"
        if golden.is_file() and golden.read_text(encoding="utf-8") == text:
            actual.unlink(missing_ok=True)
            continue
        actual.write_text(text, encoding="utf-8")
        wrong.append(name)
    assert not wrong, f"{example}: differs from the golden file, see {wrong} .actual"
    assert set(got) == expected


def test_every_example_with_a_pac_site_has_golden_files() -> None:
    catalogs = load_catalogs()
    with_pac = set()
    for path in sorted(EXAMPLES.glob("*.yaml")):
        p = plan(load_design(path, catalogs), catalogs)
        if p.sites:
            with_pac.add(path.stem)
    assert with_pac == set(examples_with_pac())


@pytest.mark.parametrize("entry", INDEX, ids=lambda e: str(e["file"]))
def test_golden_pac_implements_its_guide_sentence(entry: dict[str, Any]) -> None:
    assert str(entry["guide"]).startswith("guide 00")
    text = (GOLDEN / entry["file"]).read_text(encoding="utf-8")
    hosts = [*entry["direct"], *entry["proxy"]]
    answers = run(text, hosts)
    for engine in ENGINES:
        for h in entry["direct"]:
            assert answers[engine][h] == "DIRECT", (engine, h)
        for h in entry["proxy"]:
            assert answers[engine][h].startswith("PROXY "), (engine, h)


def test_every_golden_file_is_indexed() -> None:
    files = {str(p.relative_to(GOLDEN)) for p in GOLDEN.rglob("*.pac")}
    assert files == {e["file"] for e in INDEX}
