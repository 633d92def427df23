"""Every field of the design format is read by some stage: a field accepted and then ignored
would let an architect believe erplan checks something it never looks at."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

import erplan

SRC = Path(__file__).resolve().parents[1] / "src" / "erplan"
# The loader, the model and the format reference only define and validate fields. Every
# `model*` module is found, so a model split in two keeps all its fields under test.
MODEL_MODULES = tuple(
    importlib.import_module(f"erplan.{m.name}")
    for m in pkgutil.iter_modules(erplan.__path__)
    if m.name == "model" or m.name.startswith("model_")
)
NOT_READERS = {f"{m.__name__.rsplit('.', 1)[1]}.py" for m in MODEL_MODULES} | {
    "design_format.py",
    "design_format_sections.py",
}


def _models() -> list[type[BaseModel]]:
    out = []
    for module in MODEL_MODULES:
        for name in dir(module):
            obj = getattr(module, name)
            if (
                isinstance(obj, type)
                and issubclass(obj, BaseModel)
                and obj.__module__ == module.__name__
                and not name.startswith(("_", "Frozen"))
            ):
                out.append(obj)
    return out


def _readers() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8")
        for p in SRC.rglob("*.py")
        if p.name not in NOT_READERS and not p.name.startswith("load")
    )


FIELDS = sorted({(m.__name__, f) for m in _models() for f in m.model_fields})


def test_every_model_module_is_searched() -> None:
    names = {m.__name__ for m in MODEL_MODULES}
    assert {"erplan.model", "erplan.model_base", "erplan.model_network"} <= names
    assert {"erplan.model", "erplan.model_network"} <= {m.__module__ for m in _models()}


@pytest.mark.parametrize(("owner", "field"), FIELDS, ids=[f"{o}.{f}" for o, f in FIELDS])
def test_field_is_read_outside_the_loader(owner: str, field: str) -> None:
    text = _readers()
    assert re.search(rf"\.{field}\b|[\"']{field}[\"']", text), (
        f"{owner}.{field} is accepted by the format but no stage reads it"
    )
