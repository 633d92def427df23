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

# (section title, YAML key as written, model, introduction, example). The examples are
# fragments of one design; tests load each of them.
_SECTIONS: list[tuple[str, str, type[BaseModel], str, str]] = [
    (
        "Top level",
        "",
        Design,
        "The file is one YAML mapping. `erplan` comes first; `tenant` and `sites` are "
        "required, every other section may be left out.",
        """\
erplan: 1
name: Contoso - two circuits
description: US and EU offices, one circuit each.
""",
    ),
    (
        "tenant",
        "tenant",
        Tenant,
        "The Microsoft 365 tenant: where its data lives and which service areas users rely on, "
        "and its Dynamics 365 (CRM Online) environments with the prefixes of their regions "
        "(documentation prefixes here: use the ones obtained for each region).",
        """\
tenant:
  name: contoso
  geography: US
  services: [Exchange, SharePoint, Skype, Common]
  dynamics:
    East US:
      prefixes: [198.51.100.0/25]
    West Europe: {}  # no prefixes given: reached over the internet only
""",
    ),
    (
        "tenant.dynamics",
        "tenant.dynamics.REGION",
        DynamicsEnvironment,
        "A Dynamics 365 (CRM Online) environment of the tenant, by the Azure region hosting it "
        "(`erplan catalog dynamics`). Every site's users reach it at that region, whatever "
        "resolves the name. With prefixes and CRM Online in a circuit's route filter, its "
        "routes arrive over ExpressRoute tagged with 12076:5040 and the region's regional "
        "community, and a circuit's `region_preference` for the region sets their local "
        "preference ('cold potato', guide 000 §7.3.1); Microsoft 365 routes ignore it.",
        """\
tenant:
  geography: US
  dynamics:
    West Europe:
      prefixes: [203.0.113.0/25]
circuits:
  ams-er:
    peering_location: Amsterdam
    site: eu
    peer_asn: 394500
    route_filter: [Exchange, CRM Online]
    region_preference: {West Europe: 200}
    snat_pool: 20.2.2.8/29
    advertises: [20.2.2.8/29]
""",
    ),
    (
        "sites",
        "sites.NAME",
        Site,
        "Places where people or servers are, by name. A site's internet traffic leaves by its "
        "breakout; its DNS queries leave by its resolver egress, which decides the front end "
        "geoDNS answers with (guide 000 §3).",
        """\
sites:
  us:
    location: New York
    users: 5000
    prefixes: [10.1.0.0/16]
  eu:
    location: {lat: 52.37, lon: 4.9}
    users: 3000
    prefixes: [10.2.0.0/16]
    er_routes: true
    proxy:
      mode: pac
      address: proxy.eu.contoso.com:8080
""",
    ),
    (
        "sites.NAME.proxy",
        "sites.NAME.proxy",
        Proxy,
        "How a site's clients reach the web (guide 000 §2.2).",
        """\
    proxy:
      mode: all
      site: us
""",
    ),
    (
        "sites.NAME.location",
        "sites.NAME.location",
        LatLon,
        "A known city or peering location name (`erplan catalog places`), or coordinates.",
        """\
    location: {lat: 40.71, lon: -74.01}
""",
    ),
    (
        "wan",
        "wan[]",
        WanLink,
        "Links between sites: a list. Latency is round trip; the IGP cost decides hot-potato "
        "routing between circuits.",
        """\
wan:
  - between: [us, eu]
    latency_ms: 80
""",
    ),
    (
        "breakouts",
        "breakouts.NAME",
        Breakout,
        "Internet breakouts by name: where internet traffic leaves, behind which NAT address.",
        """\
breakouts:
  us-inet:
    site: us
    nat: [20.2.4.1/32]
    advertises: [20.2.4.0/24]
""",
    ),
    (
        "circuits",
        "circuits.NAME",
        Circuit,
        "ExpressRoute circuits with Microsoft peering, by name (guide 000 §4-§7, guide 001).",
        """\
circuits:
  us-er:
    peering_location: New York
    site: us
    peer_asn: 394500
    primary_subnet: 20.2.1.0/30
    secondary_subnet: 20.2.1.4/30
    vlan: 100
    route_filter: [Exchange, SharePoint, Skype, Other Office 365]
    snat_pool: 20.2.2.0/29
    advertises: [20.2.2.0/29, 20.2.2.59/32]
    prepend:
      20.2.2.59/32: 2
""",
    ),
    (
        "circuits.NAME.addressing",
        "circuits.NAME.addressing",
        Addressing,
        "Who meets the addressing duties of the Microsoft peering (guide 000 §5.1): "
        "co-location and point-to-point customers provide their own NAT, public addresses and "
        "ASN (or buy them as a provider service); an any-to-any IPVPN provider meets them on "
        "the customer's behalf. Set a duty only where it differs from the `connectivity` "
        "model. See docs/security.md.",
        """\
    connectivity: point-to-point
    addressing:
      asn: provider        # a provider service: the customer owns no public ASN
""",
    ),
    (
        "circuits.NAME.links.LINK",
        "circuits.NAME.links.primary|secondary",
        CircuitLink,
        "Per-link configuration after the split into the primary and the secondary link: its "
        "own advertisements, pool, devices and state (design notes, 'Per link').",
        """\
    links:
      primary:
        snat_pool: 20.2.2.0/29
        advertises: [20.2.2.0/29]
        devices: [fw-us-primary]
      secondary:
        snat_pool: 20.2.2.8/29
        advertises: [20.2.2.8/29]
        devices: [fw-us-secondary]
""",
    ),
    (
        "services",
        "services.NAME",
        Service,
        "On-premises services that Microsoft 365 connects to (hybrid): each is an inbound "
        "flow (guide 000 §6, guide 001 inbound rules).",
        """\
services:
  exchange-hybrid:
    fqdn: mail.contoso.com
    dns_record: 20.2.2.59
    public_address: 20.2.2.59
    internal_address: 172.16.1.63
    site: us
    entry: [us-er]
    inbound_snat:
      us-er: 10.255.1.0/28
    initiator: Exchange
""",
    ),
    (
        "devices",
        "devices.NAME",
        Device,
        "Stateful devices by name. Sites, breakouts and circuits list the devices their flows "
        "cross; a return path that meets a stateful device the forward path did not cross is "
        "dropped.",
        """\
devices:
  fw-us-er:
    kind: firewall
    site: us
""",
    ),
    (
        "servers",
        "servers.NAME",
        Server,
        "On-premises hosts that open connections to Microsoft 365 themselves (guide 001: "
        "outbound flows are 'initiated from your on-premises environment, such as from internal "
        "clients or servers'): each is an outbound flow per endpoint set it connects to.",
        """\
servers:
  exchange-onprem:
    site: us
    address: 10.1.5.10
    connects_to: [Exchange]
""",
    ),
    (
        "workloads",
        "workloads.NAME",
        Workload,
        "Workload profiles: the bandwidth one user needs per Microsoft 365 workload at the busy "
        "hour, for `erplan bandwidth` and the load after a failure. A site names its profile "
        "(`workload: engineering`); a profile named `default` applies to the others; without "
        "it, the built-in defaults below (planning figures to replace with a pilot's "
        "measurements, guide 001).",
        """\
workloads:
  default:
    teams_kbps: 150
  engineering:
    exchange_kbps: 30
    sharepoint_kbps: 120
    teams_kbps: 200
""",
    ),
    (
        "security",
        "security",
        SecurityPolicy,
        "Which paths and directions require which controls (guide 001 'Applying security "
        "controls to Azure ExpressRoute for Microsoft 365 scenarios'). Devices say what they "
        "are for (`purpose`) and which directions they inspect (`inspects`); erplan checks "
        "every traced path, there and back, against this policy (rules ERP730-ERP736, "
        "docs/security.md). Without the section nothing is required; `security: {}` applies "
        "the defaults.",
        """\
security:
  expressroute:
    outbound: [firewall]
    inbound: [firewall, ips]
  internet:
    outbound: [firewall, proxy]
  locations: [us]
""",
    ),
    (
        "security.expressroute, security.internet",
        "security.expressroute|internet",
        PathPolicy,
        "The controls each direction of a kind of path must cross: `outbound` for "
        "connections opened on premises (to Microsoft, or to the internet), `inbound` for "
        "connections opened towards an on-premises service.",
        """\
security:
  internet:
    outbound: [firewall, proxy]
    inbound: [firewall]
""",
    ),
    (
        "analysis",
        "analysis",
        Analysis,
        "Thresholds and estimates used by the analyses. All optional.",
        """\
analysis:
  suboptimal_ms: 25
  suboptimal_ratio: 1.5
""",
    ),
]

_SILENCE_EXAMPLE = """\
circuits:
  eu-er:
    silence:
      ERP107: the provider assigns the VLAN at provisioning
"""

_MINIMAL = """\
erplan: 1
tenant:
  geography: US
sites:
  hq:
    location: New York
    users: 200
"""


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
    return {title: example for title, _, _, _, example in _SECTIONS}


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
        _MINIMAL.rstrip("\n"),
        "```",
        "",
    ]
    for title, key, model, intro, example in _SECTIONS:
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
        "Every site, WAN link, breakout, circuit, circuit link, service and device may carry "
        "`silence`: a map from a code (a rule or a flow verdict, or its name; `erplan rules` "
        "lists them) to the reason it does not apply here. The reason is required and may "
        "not be empty. Silenced findings no longer fail `erplan lint` or `erplan verify`, but "
        "reports still list them with the reason.",
        "",
        "```yaml",
        _SILENCE_EXAMPLE.rstrip("\n"),
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
