"""`erplan schema` and docs/design-format.md: generated from the model, accepted by a standard
JSON Schema validator for every shipped example, and never stale."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from erplan.catalogs import load_catalogs
from erplan.cli import main
from erplan.design_format import json_schema, markdown, schema_text, section_examples
from erplan.load import load_mapping, parse_text
from erplan.model import Design

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
GOOD = [DATA / "good" / "minimal.yaml"]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
DOC = ROOT / "docs" / "design-format.md"


def plain(path: Path) -> Any:
    """A YAML file as the plain data a JSON Schema validator sees."""
    return parse_text(path.read_text(encoding="utf-8"), str(path))[0]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_has_identity_and_descriptions() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:erplan:design:1"
    assert schema["title"] == "erplan design file (format 1)"
    assert schema["properties"]["erplan"]["const"] == 1
    assert set(schema["required"]) == {"erplan", "tenant", "sites"}
    missing = [
        f"{owner}.{name}"
        for owner, definition in [("Design", schema), *schema["$defs"].items()]
        for name, prop in definition.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert missing == []


@pytest.mark.parametrize("path", GOOD + EXAMPLES, ids=lambda p: p.name)
def test_schema_accepts_good_designs(
    path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    errors = [e.message for e in validator.iter_errors(plain(path))]
    assert errors == []


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("unknown-key.yaml", ["sites", "hq"]),
        ("wrong-type.yaml", ["sites", "hq", "users"]),
        ("prefix-length.yaml", ["sites", "hq", "prefixes", 1]),
        ("wrong-shape.yaml", ["sites", "hq", "location"]),
        ("missing-key.yaml", ["circuits", "us-er"]),
    ],
)
def test_schema_rejects_bad_designs(
    name: str, where: list[str | int], validator: jsonschema.Draft202012Validator
) -> None:
    errors = list(validator.iter_errors(plain(DATA / "bad" / name)))
    assert errors
    assert any(list(e.absolute_path) == where for e in errors)


def test_schema_command_prints_the_schema(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["erplan", "schema"])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    assert (info.value.code, err) == (0, "")
    assert out == schema_text()
    assert json.loads(out) == json_schema()


def test_schema_matches_the_model() -> None:
    schema = json_schema()
    model = Design.model_json_schema()
    assert schema["$defs"].keys() == model["$defs"].keys()
    assert schema["properties"].keys() == model["properties"].keys()


# --------------------------------------------------------------------------- the reference page


def test_design_format_doc_is_up_to_date() -> None:
    """Regenerate with: .venv/bin/python scripts/gen_design_format.py"""
    assert DOC.read_text(encoding="utf-8") == markdown()


def test_doc_documents_every_field_and_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    schema = json_schema()
    for definition in [schema, *schema["$defs"].values()]:
        for name in definition.get("properties", {}):
            assert f"| `{name}` |" in text, name
    for code in ("ERP001", "ERP008", "ERP013", "ERP028"):
        assert f"| {code} |" in text


BASE: dict[str, Any] = {
    "erplan": 1,
    "tenant": {"geography": "US"},
    "sites": {
        "us": {"location": "New York", "prefixes": ["10.1.0.0/16"]},
        "eu": {"location": "Amsterdam"},
    },
    "circuits": {
        "us-er": {
            "peering_location": "New York",
            "site": "us",
            "peer_asn": 394500,
            "advertises": ["20.2.2.0/29", "20.2.2.59/32"],
        }
    },
    "devices": {"fw-us-er": {"site": "us"}},
}


@pytest.mark.parametrize("title", list(section_examples()))
def test_doc_examples_load(title: str) -> None:
    """Each section's example, put into a small design, is a valid design."""
    fragment = section_examples()[title]
    data = parse_text(fragment, "example.yaml")[0]
    design = json.loads(json.dumps(BASE))
    if title in ("sites.NAME.proxy", "sites.NAME.location"):
        design["sites"]["us"].update(data)
    elif title == "circuits.NAME.addressing":
        design["circuits"]["us-er"].update(data)
    elif title == "circuits.NAME.links.LINK":
        design["circuits"]["us-er"].update(data)
        for name in ("fw-us-primary", "fw-us-secondary"):
            design["devices"][name] = {"site": "us"}
    else:
        design.update(data)
    loaded = load_mapping(design, catalogs=load_catalogs())
    assert loaded.design.tenant.geography == "US"
