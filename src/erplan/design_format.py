"""The design-file format described for people and editors: the JSON Schema printed by
``erplan schema`` and the reference page ``docs/design-format.md``, both generated from the
model's field descriptions and the loader's code table, so neither can drift from the code.

Regenerate the page with ``python scripts/gen_design_format.py``; a test fails when it is stale.
"""

from __future__ import annotations

import json
import re
from enum import Enum
from ipaddress import IPv4Address, IPv4Network
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from erplan.design_format_sections import MINIMAL, SECTIONS, SILENCE_EXAMPLE
from erplan.load import CODES, MAX_BYTES
from erplan.model import (
    FORMAT_VERSION,
    Addressing,
    Analysis,
    Breakout,
    Circuit,
    CircuitLink,
    Design,
    Device,
    DynamicsEnvironment,
    LatLon,
    PathPolicy,
    Proxy,
    SecurityPolicy,
    Server,
    Service,
    Site,
    Tenant,
    WanLink,
    Workload,
)
from erplan.untrusted import MAX_LENGTH, NAME_PUNCTUATION, TextKind

SCHEMA_ID = f"urn:erplan:design:{FORMAT_VERSION}"
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_PREFIX_PATTERN = rf"^{_OCTET}(\.{_OCTET}){{3}}(/([0-9]|[12][0-9]|3[0-2]))?$"


# --------------------------------------------------------------------------- JSON Schema


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a design file, for editors and CI checks."""
    schema = Design.model_json_schema()
    _add_prefix_patterns(schema)
    head: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"erplan design file (format {FORMAT_VERSION})",
        "description": (
            "An ExpressRoute Microsoft-peering design for Microsoft 365: sites, WAN, internet "
            "breakouts, circuits, on-premises services and devices. Reference: "
            "docs/design-format.md."
        ),
    }
    schema.pop("title", None)
    return {**head, **schema}


def _add_prefix_patterns(node: Any) -> None:
    """Editors check ``format`` rarely; a pattern makes them flag a malformed prefix."""
    if isinstance(node, dict):
        if node.get("format") == "ipv4network":
            node.setdefault("pattern", _PREFIX_PATTERN)
        for value in node.values():
            _add_prefix_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _add_prefix_patterns(value)


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- reference page

_MODEL_LINKS: dict[Any, str] = {
    Tenant: "[tenant](#tenant)",
    DynamicsEnvironment: "[Dynamics 365 environment](#tenantdynamics)",
    Site: "[site](#sites)",
    Proxy: "[proxy](#sitesnameproxy)",
    WanLink: "[WAN link](#wan)",
    Breakout: "[breakout](#breakouts)",
    Circuit: "[circuit](#circuits)",
    Service: "[service](#services)",
    Device: "[device](#devices)",
    CircuitLink: "[link](#circuitsnamelinkslink)",
    Server: "[server](#servers)",
    Analysis: "[analysis](#analysis)",
    Workload: "[workload](#workloads)",
    Addressing: "[addressing](#circuitsnameaddressing)",
    SecurityPolicy: "[security](#security)",
    PathPolicy: "[path policy](#securityexpressroute-securityinternet)",
}


def section_examples() -> dict[str, str]:
    """Each section's YAML example, by section title (the tests load them)."""
    return {title: example for title, _, _, _, example in SECTIONS}


def _type_text(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Annotated:
        return _type_text(get_args(tp)[0])
    if origin in (Union, UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        text = " or ".join(_type_text(a) for a in members)
        return text + (" or null" if len(members) < len(get_args(tp)) else "")
    if origin is list:
        return f"list of {_type_text(get_args(tp)[0])}"
    if origin is tuple:
        args = get_args(tp)
        return f"list of {len(args)} {_type_text(args[0])}"
    if origin is dict:
        key, value = get_args(tp)
        key_text = "name" if key is str and value in _MODEL_LINKS else _type_text(key)
        return f"map {key_text} → {_type_text(value)}"
    if origin is Literal:
        return " or ".join(f"`{a}`" for a in get_args(tp))
    if isinstance(tp, type) and issubclass(tp, Enum):
        return "one of " + ", ".join(f"`{e.value}`" for e in tp)
    if tp is LatLon:
        return "{lat, lon}"
    if tp in _MODEL_LINKS:
        return _MODEL_LINKS[tp]
    names: dict[Any, str] = {
        str: "text",
        int: "integer",
        float: "number",
        bool: "boolean",
        IPv4Network: "IPv4 prefix",
        IPv4Address: "IPv4 address",
    }
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _default_text(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, Enum):
        value = value.value
    if value is None:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return "`[" + ", ".join(str(v) for v in value) + "]`"
    if isinstance(value, dict):
        return "`{}`"
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _field_table(model: type[BaseModel]) -> list[str]:
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, info in model.model_fields.items():
        description = info.description or ""
        type_text = _type_text(info.annotation)
        if name == "location":
            type_text = "place name or {lat, lon}"
        rows.append(
            f"| `{name}` | {_cell(type_text)} | {_cell(_default_text(info))} | "
            f"{_cell(description)} |"
        )
    return rows


def markdown() -> str:
    """docs/design-format.md."""
    out: list[str] = [
        "# Design file format",
        "",
        "<!-- Generated by scripts/gen_design_format.py from src/erplan/model.py and "
        "src/erplan/load/; do not edit by hand. -->",
        "",
        f"A design file is YAML (UTF-8, at most {MAX_BYTES // (1024 * 1024)} MB, one document) "
        f"with `erplan: {FORMAT_VERSION}` at the top. Names of sites, breakouts, circuits, "
        "services and devices are the keys of their maps, so each is unique; other objects "
        "refer to them by name. `erplan validate FILE` checks a file (`-` reads it from "
        "standard input); `erplan schema` prints "
        "the JSON Schema of the format, for editors (see [Editor support](#editor-support)).",
        "",
        "YAML is read with the 1.2 core schema: `no`, `yes`, `on` and `off` are text, not "
        "booleans (Norway's code stays `NO`); keys are kept as written (a site may be named "
        "`2024`). Anchors, aliases and merge keys (`<<: *defaults`) work; tags other than the "
        "standard `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!map` and `!!seq` are "
        "refused.",
        "",
        "A minimal design (list the catalogs' names with `erplan catalog places`, "
        "`erplan catalog peering-locations`, `erplan catalog geographies` and "
        "`erplan catalog services`):",
        "",
        "```yaml",
        MINIMAL.rstrip("\n"),
        "```",
        "",
    ]
    for title, key, model, intro, example in SECTIONS:
        out += [f"## {title}", ""]
        if key:
            out += [f"Key: `{key}`. {intro}", ""]
        else:
            out += [intro, ""]
        out += _field_table(model)
        out += ["", "```yaml", example.rstrip("\n"), "```", ""]
    out += [
        "## silence",
        "",
        "Every site, WAN link, breakout, circuit, circuit link, service, device and server may "
        "carry `silence`: a map from a code (a rule or a flow verdict, or its name; `erplan rules` "
        "lists them) to the reason it does not apply here. The reason is required and may "
        "not be empty. Silenced findings no longer fail `erplan lint` or `erplan verify`, but "
        "reports still list them with the reason.",
        "",
        "```yaml",
        SILENCE_EXAMPLE.rstrip("\n"),
        "```",
        "",
        "## Cross-references checked on load",
        "",
        "- `sites.*.breakout`, `sites.*.resolver_egress`: a breakout.",
        "- `sites.*.proxy.site`, `wan[].between`, `breakouts.*.site`, `circuits.*.site`, "
        "`services.*.site`, `devices.*.site`: a site; a WAN link joins two different sites.",
        "- `*.devices`: a device.",
        "- `services.*.entry`: `internet`, `expressroute`, or a circuit or breakout name; "
        "`services.*.inbound_snat` keys: a circuit or breakout name. A circuit and a breakout "
        "may not share a name.",
        "- `circuits.*.prepend` keys: prefixes the circuit advertises.",
        "- `circuits.*.ipvpn_sites`, `security.locations`: sites; `ipvpn_sites` only on a "
        "circuit whose `connectivity` is `ipvpn`.",
        "- Catalog names (case and punctuation ignored): `circuits.*.peering_location` "
        "(a peering location), `sites.*.location` (a place), `tenant.geography` and "
        "`services.*.initiator_geography` (a geography), `circuits.*.route_filter`, "
        "`tenant.services` and `services.*.initiator` (a service), "
        "`circuits.*.region_preference` keys (an Azure region with a regional community, "
        "`ERP040`), `tenant.dynamics` keys (an Azure region hosting Dynamics 365, `ERP041`). "
        "`erplan catalog` lists them.",
        "- `tenant.dynamics.*.prefixes`: Microsoft's, so apart from every address of the design "
        "and from another region's (`ERP042`).",
        "",
        "## What text may hold",
        "",
        "Every string is checked for the kind of text its place calls for; a string that does "
        "not fit is refused at its position (`ERP016`):",
        "",
        f"- names: the keys of `sites`, `breakouts`, `circuits`, `services` and `devices`, every "
        "reference to one, catalog names (locations, peering locations, geographies, "
        "services), `silence` codes, `region_preference` and `tenant.dynamics` regions — "
        "letters and digits of any script, spaces and "
        f"`{''.join(sorted(NAME_PUNCTUATION - {' '}))}`, at most "
        f"{MAX_LENGTH[TextKind.NAME]} characters, no leading or trailing space;",
        "- `services.*.fqdn`: a DNS name (dot-separated labels of letters, digits, `-` and `_`, "
        "at most 63 characters each);",
        "- free text — `name`, `tenant.name`, silence reasons — any printable text on one line; "
        "`description` may span lines.",
        "",
        "Control characters (escape sequences, carriage returns, a line break in one-line "
        "text) and bidirectional overrides are refused everywhere, whatever the key. Numbers "
        "must be finite and at most 10^12 in size (`ERP015`); addresses and prefixes are "
        "written as text (`5` is not 0.0.0.5, `ERP013`).",
        "",
        "## Input problems",
        "",
        "A file that cannot be used stops every command with exit code 2, nothing written, and "
        "one line per problem on standard error, in file order: `FILE:LINE:COL: message "
        "[ERPnnn]`. Every independent problem is reported in one run; an unsupported format "
        "version is reported alone. `erplan validate --format json` gives the same as "
        '`{"file", "valid", "summary", "problems": [{"code", "message", "file", '
        '"line", "column"}]}`, and `--format sarif` as a SARIF 2.1.0 log.',
        "",
        "| code | name | meaning |",
        "|---|---|---|",
    ]
    out += [f"| {code} | {name} | {_cell(text)} |" for code, (name, text) in CODES.items()]
    out += [
        "",
        "## Editor support",
        "",
        "Write the schema once, then point the editor at it. For VS Code with the YAML extension:",
        "",
        "```sh",
        "erplan schema > erplan-design.schema.json",
        "```",
        "",
        "and in `.vscode/settings.json`:",
        "",
        "```json",
        '{"yaml.schemas": {"./erplan-design.schema.json": ["designs/*.yaml", "examples/*.yaml"]}}',
        "```",
        "",
        "or a first line `# yaml-language-server: $schema=./erplan-design.schema.json` in the "
        "design file. The schema checks structure and types; names, references and catalogs "
        "are checked by `erplan validate`.",
        "",
    ]
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text)
