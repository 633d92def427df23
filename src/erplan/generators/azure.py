"""Azure provisioning of the Microsoft peering and its route filter: an ``az`` script per circuit
(deploy, verify, rollback) and one Terraform file for every circuit.

The az command lines follow FACTS §1.6 (Azure CLI syntax of the peering and route filter); the
Terraform arguments are those of the azurerm provider's ``azurerm_express_route_circuit_peering``
(``microsoft_peering_config``, ``route_filter_id``) and ``azurerm_route_filter``. What Azure
needs and the design does not say (resource group, the circuit's Azure name, location, shared
key, routing registry) are variables. Design names reach a shell line only through
``shlex.quote`` and HCL only as escaped strings.
"""

from __future__ import annotations

from erplan import facts
from erplan.generators.edge import CircuitEdge
from erplan.generators.safe import comment, hcl_string, shell
from erplan.model import Design

PEERING = "MicrosoftPeering"
RULE_NAME = "allow-services"


def advertised_public_prefixes(design: Design, edge: CircuitEdge) -> list[str]:
    """The peering's advertised public prefixes: every accepted prefix of both links (they are
    also Microsoft's inbound source filter, FACTS §1.4)."""
    return [str(p) for p in facts.source_filter(design, edge.circuit)]


def filter_name(edge: CircuitEdge) -> str:
    return f"{edge.ident}-services"


def _az(*parts: str | list[str]) -> list[str]:
    """An az command line: a string is split into words, a list is taken word for word."""
    out = ["az"]
    for part in parts:
        out.extend(part.split() if isinstance(part, str) else part)
    return out


def _commands(design: Design, edge: CircuitEdge) -> dict[str, list[tuple[str, list[str]]]]:
    """Per action, (why, argv) with ``$VAR`` words left for the shell."""
    rg, circuit, rf = "$RESOURCE_GROUP", "$CIRCUIT", "$ROUTE_FILTER"
    p, s = edge.sessions[0], edge.sessions[1]
    on_peering = f"--circuit-name {circuit} --resource-group {rg} --name {PEERING}"
    deploy = [
        (
            "the route filter, one rule admitting the services' communities",
            _az(f"network route-filter create --name {rf} --resource-group {rg}"),
        ),
        (
            "its rule: " + ", ".join(comment(n) for n, _ in edge.services),
            _az(
                f"network route-filter rule create --filter-name {rf} --name {RULE_NAME}",
                f"--resource-group {rg} --access Allow --communities",
                list(edge.communities),
            ),
        ),
        (
            "the Microsoft peering: both links, ASN, VLAN, advertised prefixes",
            _az(
                f"network express-route peering create --circuit-name {circuit}",
                f"--resource-group {rg} --peering-type {PEERING} --peer-asn {edge.asn}",
                f"--vlan-id {p.vlan} --primary-peer-subnet {p.subnet}",
                f"--secondary-peer-subnet {s.subnet} --advertised-public-prefixes",
                advertised_public_prefixes(design, edge),
            ),
        ),
        (
            "attach the route filter: Microsoft advertises nothing on a new peering until then",
            _az(f"network express-route peering update {on_peering} --route-filter {rf}"),
        ),
    ]
    query = (
        "{state: state, prefixes: microsoftPeeringConfig.advertisedPublicPrefixesState, "
        "filter: routeFilter.id}"
    )
    verify = [
        (
            "the peering's state and the validation of its advertised prefixes",
            _az(f"network express-route peering show {on_peering} --query", [query]),
        ),
    ]
    for sess in edge.sessions:
        verify.append(
            (
                f"routes on the {sess.link.value} link (Get-AzExpressRouteCircuitRouteTable "
                f"-DevicePath {sess.link.value.capitalize()})",
                _az(
                    f"network express-route list-route-tables --name {circuit}",
                    f"--resource-group {rg} --peering-name {PEERING} --path {sess.link.value}",
                ),
            )
        )
    rollback = [
        (
            "detach the route filter: Microsoft stops advertising its prefixes",
            _az(f"network express-route peering update {on_peering} --remove routeFilter"),
        ),
        (
            "remove the Microsoft peering",
            _az(f"network express-route peering delete {on_peering}"),
        ),
        (
            "remove the route filter (only once no circuit uses it)",
            _az(f"network route-filter delete --name {rf} --resource-group {rg}"),
        ),
    ]
    return {"deploy": deploy, "verify": verify, "rollback": rollback}


def _word(w: str) -> str:
    return f'"{w}"' if w.startswith("$") else shell(w)


def render_cli(design: Design, edge: CircuitEdge, design_file: str) -> str:
    lines = [
        "#!/bin/sh",
        f"# erplan generate az: Microsoft peering of circuit {comment(edge.circuit)}",
        f"# design: {comment(design_file)}; peering location {comment(edge.peering_location)}",
        "# usage: RESOURCE_GROUP=rg [CIRCUIT=name] [ROUTE_FILTER=name] sh THIS deploy|verify|"
        "rollback",
        "# A route filter with Microsoft 365 communities needs Microsoft's authorization.",
        "set -eu",
        ': "${RESOURCE_GROUP:?set RESOURCE_GROUP to the resource group of the circuit}"',
        'CIRCUIT="${CIRCUIT-}"',
        f'[ -n "$CIRCUIT" ] || CIRCUIT={shell(edge.circuit)}',
        'ROUTE_FILTER="${ROUTE_FILTER-}"',
        f'[ -n "$ROUTE_FILTER" ] || ROUTE_FILTER={shell(filter_name(edge))}',
        "",
    ]
    for action, commands in _commands(design, edge).items():
        lines.append(f"{action}() {{")
        for why, argv in commands:
            lines.append(f"  # {why}")
            lines.append("  " + " ".join(_word(w) for w in argv))
        lines += ["}", ""]
    lines += [
        'case "${1-}" in',
        '  deploy|verify|rollback) "$1" ;;',
        '  *) echo "usage: $0 deploy|verify|rollback" >&2; exit 2 ;;',
        "esac",
    ]
    return "\n".join(lines) + "\n"


def cli_argv(design: Design, edge: CircuitEdge, variables: dict[str, str]) -> list[list[str]]:
    """Every az command of the script with its variables set (what the shell would run)."""
    out = []
    for commands in _commands(design, edge).values():
        for _, argv in commands:
            out.append([variables.get(w[1:], w) if w.startswith("$") else w for w in argv])
    return out


def _label(edge: CircuitEdge) -> str:
    return edge.ident.replace("-", "_")


def render_terraform(design: Design, edges: list[CircuitEdge], design_file: str) -> str:
    out = [
        f"# erplan generate terraform: Microsoft peering and route filter per circuit of "
        f"{comment(design_file)}",
        "# A route filter with Microsoft 365 communities needs Microsoft's authorization.",
        "",
        'variable "resource_group_name" {',
        "  type = string",
        "}",
        "",
        'variable "location" {',
        "  type        = string",
        '  description = "Azure region of the route filters"',
        "}",
        "",
        'variable "circuit_names" {',
        "  type        = map(string)",
        '  description = "The Azure name of each ExpressRoute circuit, by design name"',
        "  default = {",
    ]
    out += [f"    {hcl_string(e.circuit)} = {hcl_string(e.circuit)}" for e in edges]
    out += [
        "  }",
        "}",
        "",
        'variable "shared_key" {',
        "  type      = string",
        "  default   = null",
        "  sensitive = true",
        "}",
        "",
        'variable "routing_registry_name" {',
        "  type    = string",
        "  default = null",
        "}",
    ]
    for e in edges:
        label = _label(e)
        p, s = e.sessions[0], e.sessions[1]
        prefixes = ", ".join(hcl_string(x) for x in advertised_public_prefixes(design, e))
        communities = ", ".join(hcl_string(c) for c in e.communities)
        out += [
            "",
            f"# circuit {comment(e.circuit)}: " + ", ".join(comment(n) for n, _ in e.services),
            f'resource "azurerm_route_filter" "{label}" {{',
            f"  name                = {hcl_string(filter_name(e))}",
            "  resource_group_name = var.resource_group_name",
            "  location            = var.location",
            "",
            "  rule {",
            f"    name        = {hcl_string(RULE_NAME)}",
            '    access      = "Allow"',
            '    rule_type   = "Community"',
            f"    communities = [{communities}]",
            "  }",
            "}",
            "",
            f'resource "azurerm_express_route_circuit_peering" "{label}" {{',
            f'  peering_type                  = "{PEERING}"',
            f"  express_route_circuit_name    = var.circuit_names[{hcl_string(e.circuit)}]",
            "  resource_group_name           = var.resource_group_name",
            f"  peer_asn                      = {e.asn}",
            f'  primary_peer_address_prefix   = "{p.subnet}"',
            f'  secondary_peer_address_prefix = "{s.subnet}"',
            f"  vlan_id                       = {p.vlan}",
            "  shared_key                    = var.shared_key",
            f"  route_filter_id               = azurerm_route_filter.{label}.id",
            "",
            "  microsoft_peering_config {",
            f"    advertised_public_prefixes = [{prefixes}]",
            "    routing_registry_name      = var.routing_registry_name",
            "  }",
            "}",
        ]
    return "\n".join(out) + "\n"


__all__ = ["advertised_public_prefixes", "cli_argv", "render_cli", "render_terraform"]
