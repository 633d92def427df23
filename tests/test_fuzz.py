"""A brief fuzz of the loader and the whole verify path (``scripts/fuzz.py`` runs it at
length): every mutated example is either refused with located, coded problems or verified and
rendered in every format without a raw control character or invalid JSON."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _cli import run
from _fuzz import EXAMPLES, check, example_data, mutate, mutate_text, to_yaml
from erplan.catalogs import load_catalogs

DATA = example_data()
CATALOGS = load_catalogs()
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.sampled_from(range(len(DATA))), st.integers(0, 2**32), st.integers(1, 4))
def test_structure_aware_mutations(which: int, seed: int, rounds: int) -> None:
    name, data = DATA[which]
    check(to_yaml(mutate(data, random.Random(seed), rounds)), name, CATALOGS)


@FUZZ
@given(st.sampled_from(range(len(EXAMPLES))), st.integers(0, 2**32), st.integers(1, 3))
def test_text_mutations(which: int, seed: int, rounds: int) -> None:
    path = EXAMPLES[which]
    text = mutate_text(path.read_text(encoding="utf-8"), random.Random(seed), rounds)
    check(text, path.name, CATALOGS)


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    check(text, "any.yaml", CATALOGS)


def test_rejections_are_exit_2_with_positions(
    tmp_path: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(7)
    name, data = DATA[0]
    refused = 0
    for _ in range(20):
        text = to_yaml(mutate(data, rng, 2))
        if check(text, name, CATALOGS) != "refused":
            continue
        refused += 1
        result = run(["verify", "-"], capsys, monkeypatch, stdin=text)
        assert result.code == 2 and result.out == ""
        assert all(line.startswith("<stdin>:") for line in result.err.splitlines())
    assert refused > 0
