"""The libyaml parser is what loads designs: the pure-Python fallback is about ten times slower
and would otherwise slip in silently (a missing wheel, a renamed module)."""

from __future__ import annotations

import importlib
import types

import pytest

from erplan.load import yaml_compose


def test_the_c_parser_is_active() -> None:
    assert yaml_compose.CParser is not None, (
        "no libyaml parser: install ruamel.yaml.clib (pip install -e .); the pure-Python "
        "parser is about ten times slower"
    )
    assert yaml_compose.C_PARSER_MODULE in yaml_compose.C_PARSER_NAMES


@pytest.mark.parametrize("present", yaml_compose.C_PARSER_NAMES)
def test_the_c_parser_is_found_under_either_module_name(
    present: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    parser = object()

    def fake_import(name: str) -> types.ModuleType:
        if name != present:
            raise ImportError(name)
        module = types.ModuleType(name)
        module.CParser = parser  # type: ignore[attr-defined]
        return module

    monkeypatch.setattr(importlib, "import_module", fake_import)
    assert yaml_compose._find_c_parser() == (parser, present)


def test_no_c_parser_is_reported_as_none(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> types.ModuleType:
        raise ImportError(name)

    monkeypatch.setattr(importlib, "import_module", missing)
    assert yaml_compose._find_c_parser() == (None, None)
