"""Azure provisioning of every example, checked by its consumers.

Terraform: parsed by python-hcl2; every resource argument and block must be one the azurerm
provider documents (pinned below from its docs: r/express_route_circuit_peering and
r/route_filter), and the values must be the design's.

az: the generated script is run by `sh` with `az` replaced by a recorder (the shell's own
quoting decides the words), then every recorded command line goes through the real azure-cli
argument parser, installed apart in .venv-azure by scripts/install-azure-cli.sh. An unknown
argument or a missing required one fails the test; an authentication error after parsing is
what a parsed command does without a login.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import hcl2
import pytest

from _generated import examples, files, loaded
from erplan import facts

ROOT = Path(__file__).resolve().parent.parent
AZ_PYTHON = ROOT / ".venv-azure" / "bin" / "python"
EXAMPLES = examples()

# azurerm provider documentation, "Argument Reference" (docs r/express_route_circuit_peering
# and r/route_filter of hashicorp/terraform-provider-azurerm).
PEERING_ARGUMENTS = {
    "peering_type",
    "express_route_circuit_name",
    "resource_group_name",
    "primary_peer_address_prefix",
    "secondary_peer_address_prefix",
    "ipv4_enabled",
    "vlan_id",
    "shared_key",
    "peer_asn",
    "microsoft_peering_config",
    "ipv6",
    "route_filter_id",
}
MICROSOFT_PEERING_CONFIG = {
    "advertised_public_prefixes",
    "customer_asn",
    "routing_registry_name",
    "advertised_communities",
}
ROUTE_FILTER_ARGUMENTS = {"name", "resource_group_name", "location", "rule", "tags"}
ROUTE_FILTER_RULE = {"name", "access", "rule_type", "communities"}
VARIABLE_ARGUMENTS = {"type", "default", "description", "sensitive", "nullable", "validation"}


def _unquote(x: object) -> object:
    if isinstance(x, str) and len(x) >= 2 and x[0] == x[-1] == '"':
        return x[1:-1]
    if isinstance(x, list):
        return [_unquote(v) for v in x]
    if isinstance(x, dict):
        return {_unquote(k): _unquote(v) for k, v in x.items() if k != "__is_block__"}
    return x


def _keys(block: dict[str, object]) -> set[str]:
    return {k for k in block if k != "__is_block__"}


@pytest.mark.parametrize("example", EXAMPLES)
def test_terraform_parses_and_uses_documented_arguments(example: str) -> None:
    (art,) = files(example, "terraform").values()
    doc = hcl2.loads(str(art.content))
    design = loaded(example).design
    peerings: dict[str, dict[str, object]] = {}
    filters: dict[str, dict[str, object]] = {}
    for res in doc["resource"]:
        for rtype, named in res.items():
            for label, body in named.items():
                body = dict(body)
                if _unquote(rtype) == "azurerm_express_route_circuit_peering":
                    assert _keys(body) <= PEERING_ARGUMENTS, _keys(body) - PEERING_ARGUMENTS
                    (mpc,) = body["microsoft_peering_config"]
                    assert _keys(mpc) <= MICROSOFT_PEERING_CONFIG
                    peerings[str(_unquote(label))] = _unquote(body)  # type: ignore[assignment]
                else:
                    assert _unquote(rtype) == "azurerm_route_filter"
                    assert _keys(body) <= ROUTE_FILTER_ARGUMENTS
                    for rule in body["rule"]:
                        assert _keys(rule) <= ROUTE_FILTER_RULE
                    filters[str(_unquote(label))] = _unquote(body)  # type: ignore[assignment]
    for var in doc["variable"]:
        for body in var.values():
            assert _keys(body) <= VARIABLE_ARGUMENTS
    assert len(peerings) == len(filters) == len(design.circuits)
    for name, c in design.circuits.items():
        label = name.replace("-", "_")
        p = peerings[label]
        assert p["peering_type"] == "MicrosoftPeering"
        assert p["peer_asn"] == c.peer_asn and p["vlan_id"] == c.vlan
        assert p["primary_peer_address_prefix"] == str(c.primary_subnet)
        assert p["secondary_peer_address_prefix"] == str(c.secondary_subnet)
        assert p["route_filter_id"] == f"${{azurerm_route_filter.{label}.id}}"
        (mpc,) = p["microsoft_peering_config"]  # type: ignore[misc]
        assert mpc["advertised_public_prefixes"] == [
            str(x) for x in facts.source_filter(design, name)
        ]
        (rule,) = filters[label]["rule"]  # type: ignore[misc]
        assert rule["access"] == "Allow" and rule["rule_type"] == "Community"
        assert set(rule["communities"]) == set(facts.circuit_communities(design, _catalogs(), name))


def _catalogs():  # type: ignore[no-untyped-def]
    from _generated import CATALOGS

    return CATALOGS


def test_terraform_check_sees_an_undocumented_argument() -> None:
    (art,) = files("g001-exchange-hybrid", "terraform").values()
    text = str(art.content).replace("  vlan_id ", "  vlan_tag ", 1)
    doc = hcl2.loads(text)
    keys = set()
    for res in doc["resource"]:
        for rtype, named in res.items():
            if _unquote(rtype) == "azurerm_express_route_circuit_peering":
                for body in named.values():
                    keys |= _keys(body)
    assert not keys <= PEERING_ARGUMENTS


# -- az -------------------------------------------------------------------------------------

# Records its arguments: each ends with US (0x1f), each command with RS (0x1e).
RECORDER = """#!/bin/sh
for a in "$@"; do printf '%s\\037' "$a"; done >> "$AZ_LOG"
printf '\\036' >> "$AZ_LOG"
"""


def record(script: Path, action: str, tmp: Path, env: dict[str, str]) -> list[list[str]]:
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    az = bin_dir / "az"
    if not az.exists():
        az.write_text(RECORDER)
        az.chmod(0o755)
    log = script.with_name(f"{script.name}.{action}.log")
    run_env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "AZ_LOG": str(log), **env}
    r = subprocess.run(["sh", str(script), action], env=run_env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    commands = log.read_text().split("\x1e")[:-1]
    return [c.split("\x1f")[:-1] for c in commands]


PARSER = r"""
import json, sys, io, contextlib, logging
from azure.cli.core import get_default_cli

class Keep(logging.Handler):
    def __init__(self):
        super().__init__()
        self.text = []
    def emit(self, record):
        self.text.append(record.getMessage())

out = []
for argv in json.load(sys.stdin):
    cli = get_default_cli()
    keep = Keep()
    logging.getLogger().addHandler(keep)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = cli.invoke(argv[1:], out_file=io.StringIO())
        except SystemExit as exc:
            code = exc.code
    logging.getLogger().removeHandler(keep)
    text = err.getvalue() + "\n".join(keep.text)
    out.append({"argv": argv, "code": code, "stderr": text[-400:]})
print(json.dumps(out))
"""


def azure_cli_parse(commands: list[list[str]], tmp: Path) -> list[dict[str, object]]:
    env = {
        **os.environ,
        "AZURE_CONFIG_DIR": str(tmp / "azure-config"),
        "AZURE_CORE_COLLECT_TELEMETRY": "no",
        "AZURE_CORE_ONLY_SHOW_ERRORS": "true",
    }
    r = subprocess.run(
        [str(AZ_PYTHON), "-c", PARSER],
        input=json.dumps(commands),
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _parsed(result: dict[str, object]) -> bool:
    """Parsed: not argparse's exit 2; what follows parsing fails on the missing login."""
    text = str(result["stderr"]).lower()
    return (
        result["code"] != 2
        and "unrecognized arguments" not in text
        and ("az login" in text or result["code"] == 0)
    )


needs_azure_cli = pytest.mark.skipif(
    not AZ_PYTHON.exists(),
    reason="azure-cli is not installed apart: run scripts/install-azure-cli.sh (CI does)",
)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[list[str]]:
    """Every az line of every example's scripts, as the shell would run them."""
    tmp = tmp_path_factory.mktemp("az")
    env = {"RESOURCE_GROUP": "rg-erplan", "CIRCUIT": "", "ROUTE_FILTER": ""}
    out = []
    for example in EXAMPLES:
        for rel, art in files(example, "az").items():
            script = tmp / example / rel
            script.parent.mkdir(parents=True, exist_ok=True)
            script.write_text(str(art.content))
            for action in ("deploy", "verify", "rollback"):
                out += record(script, action, tmp, env)
    return out


def test_scripts_run_every_command_with_the_designs_values(recorded: list[list[str]]) -> None:
    creates = [a for a in recorded if a[:4] == ["network", "express-route", "peering", "create"]]
    assert len(creates) == sum(len(loaded(e).design.circuits) for e in EXAMPLES)
    one = next(a for a in creates if "1.1.0.0/30" in a)
    i = one.index("--advertised-public-prefixes")
    assert one[i + 1 : i + 3] == ["1.1.2.0/24", "5.5.5.0/24"]  # Exchange Hybrid, Chicago
    assert one[one.index("--resource-group") + 1] == "rg-erplan"
    assert one[one.index("--circuit-name") + 1] == "chicago-er"


def test_a_script_refuses_to_run_without_a_resource_group(tmp_path: Path) -> None:
    art = files("g001-sharepoint-outbound", "az")["azure/chicago-er.sh"]
    script = tmp_path / "s.sh"
    script.write_text(str(art.content))
    r = subprocess.run(["sh", str(script), "deploy"], env={"PATH": "/usr/bin:/bin"},
                       capture_output=True, text=True)  # fmt: skip
    assert r.returncode != 0 and "RESOURCE_GROUP" in r.stderr


@needs_azure_cli
def test_azure_cli_parses_every_command(recorded: list[list[str]], tmp_path: Path) -> None:
    distinct = list({json.dumps(a): ["az", *a] for a in recorded}.values())
    results = azure_cli_parse(distinct, tmp_path)
    bad = [r for r in results if not _parsed(r)]
    assert not bad, bad[:3]


@needs_azure_cli
def test_azure_cli_refuses_an_unknown_argument(tmp_path: Path) -> None:
    """The check can fail: azure-cli's parser rejects an argument it does not know."""
    argv = ["az", "network", "route-filter", "create", "--name", "f", "--resource-group", "rg"]
    good, bad = azure_cli_parse([argv, [*argv, "--bogus", "1"]], tmp_path)
    assert _parsed(good)
    assert not _parsed(bad)
