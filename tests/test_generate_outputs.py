"""Guide 001's two sample connection-property tables from their example designs, the rollout
plan's expected results, and `erplan generate` on the command line: refusals with FILE:LINE:COL
and exit 2, nothing written; links, devices and inputs never replaced; hostile names."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from _generated import ROOT, files

EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden" / "generate"

# Guide 001, "Catalog your outbound and inbound network traffic": each row of the two sample
# tables, the guide's value, and what erplan's row must carry for the example design (the
# examples' headers give the readings: DeviceID_003 is one unit per circuit edge, the inbound
# pools are /28s, "Redundant internet egress" is one breakout there).
EXCHANGE_HYBRID = {
    "Network traffic direction": ("Inbound", ["Inbound"]),
    "Public Microsoft 365 endpoint (source)": (
        "Exchange Online (IP addresses)",
        ["Exchange Online (IP addresses)"],
    ),
    "Public On-Premises Endpoint (destination)": ("5.5.5.5", ["5.5.5.5"]),
    "Public (Internet) DNS entry": ("Autodiscover.contoso.com", ["autodiscover.contoso.com"]),
    "Will this on-premises endpoint be used for by other (non-Microsoft 365) Microsoft services": (
        "No",
        ["No"],
    ),
    "Will this on-premises endpoint be used by users/systems on the Internet": ("Yes", ["Yes"]),
    "Internal systems published through public endpoints": (
        "Exchange Server client access role (on-premises) 192.168.101, 192.168.102, 192.168.103",
        ["192.168.1.101"],
    ),
    "IP advertisement of the public endpoint": (
        "To Internet: 5.5.0.0/16 To ExpressRoute: 5.5.5.0/24",
        ["To Internet: 5.5.0.0/16", "To ExpressRoute: 5.5.5.0/24"],
    ),
    "Security/Perimeter Controls": (
        "Internet path: DeviceID_002 ExpressRoute path: DeviceID_003",
        ["Internet path: DeviceID_002", "ExpressRoute path: DeviceID_003"],
    ),
    "High Availability": (
        "Active/Active across 2 geo-redundant / ExpressRoute circuits - Chicago and Dallas",
        ["Active/Active across 2 geo-redundant ExpressRoute circuits - Chicago and Dallas"],
    ),
    "Path symmetry control": (
        "Method: Source NAT Internet path: Source NAT inbound connections to 192.168.5.5 "
        "ExpressRoute path: Source NAT connections to 192.168.1.0 (Chicago) and 192.168.2.0 "
        "(Dallas)",
        [
            "Method: Source NAT",
            "Internet path: Source NAT inbound connections to 192.168.5.5",
            "ExpressRoute path: Source NAT connections to 192.168.1.0/28 (Chicago) and "
            "192.168.2.0/28 (Dallas)",
        ],
    ),
}
SHAREPOINT = {
    "Network traffic direction": ("Outbound", ["Outbound"]),
    "Service": ("SharePoint Online", ["SharePoint Online"]),
    "On-premises endpoint (source)": ("User workstation", ["User workstation"]),
    "Public Microsoft 365 endpoint (destination)": (
        "SharePoint Online (IP addresses)",
        ["SharePoint Online (IP addresses)"],
    ),
    "Public (Internet) DNS entry": ("*.sharepoint.com (and more FQDNs)", ["*.sharepoint.com"]),
    "CDN Referrals": (
        "cdn.sharepointonline.com (and more FQDNs) - IP addresses maintained by CDN providers)",
        ["*.sharepointonline.com", "CDN providers"],
    ),
    "IP advertisement and NAT in use": (
        "Internet path/Source NAT: 1.1.1.0/24 ExpressRoute path/Source NAT: 1.1.2.0/24 "
        "(Chicago) and 1.1.3.0/24 (Dallas)",
        [
            "Internet path/Source NAT: 1.1.1.0/24",
            "ExpressRoute path/Source NAT: 1.1.2.0/24 (Chicago) and 1.1.3.0/24 (Dallas)",
        ],
    ),
    "Connectivity method": (
        "Internet: via layer 7 proxy (.pac file) ExpressRoute: direct routing (no proxy)",
        ["Internet: via layer 7 proxy (.pac file)", "ExpressRoute: direct routing (no proxy)"],
    ),
    "Security/Perimeter Controls": (
        "Internet path: DeviceID_002 ExpressRoute path: DeviceID_003",
        ["Internet path: DeviceID_002", "ExpressRoute path: DeviceID_003"],
    ),
    "High Availability": (
        "Internet path: Redundant internet egress ExpressRoute path: Active/Active 'hot potato' "
        "routing across 2 geo-redundant ExpressRoute circuits - Chicago and Dallas",
        [
            "Internet path:",
            "ExpressRoute path: Active/Active 'hot potato' routing across 2 geo-redundant "
            "ExpressRoute circuits - Chicago and Dallas",
        ],
    ),
    "Path symmetry control": (
        "Method: Source NAT for all connections",
        ["Method: Source NAT for all connections"],
    ),
}


def _table(example: str, title: str) -> dict[str, str]:
    text = str(files(example, "tables")["tables/connection-properties.csv"].content)
    rows = list(csv.reader(io.StringIO(text)))
    return {p: v for t, p, v in rows[1:] if t == title}


@pytest.mark.parametrize(
    ("example", "title", "guide"),
    [
        ("g001-exchange-hybrid", "Inbound: exchange-hybrid", EXCHANGE_HYBRID),
        ("g001-sharepoint-outbound", "Outbound: SharePoint Online", SHAREPOINT),
    ],
)
def test_the_guides_sample_tables(example: str, title: str, guide: dict[str, object]) -> None:
    table = _table(example, title)
    for prop, (_, carries) in guide.items():  # type: ignore[misc]
        assert prop in table, prop
        for text in carries:
            assert text in table[prop], (prop, text, table[prop])


@pytest.mark.parametrize("example", ["g001-exchange-hybrid", "g001-sharepoint-outbound"])
def test_golden_tables(example: str) -> None:
    arts = files(example, "tables")
    for name in ("connection-properties.md", "connection-properties.csv"):
        got = str(arts[f"tables/{name}"].content)
        golden = GOLDEN / example / name
        actual = golden.with_name(name + ".actual")
        if golden.is_file() and golden.read_text(encoding="utf-8") == got:
            actual.unlink(missing_ok=True)
            continue
        actual.write_text(got, encoding="utf-8")
        pytest.fail(f"{example}/{name} differs from the golden file, see {actual.name}")


def test_xlsx_holds_the_csv_cells() -> None:
    arts = files("g001-exchange-hybrid", "tables")
    wb = load_workbook(io.BytesIO(arts["tables/connection-properties.xlsx"].content))  # type: ignore[arg-type]
    rows = list(csv.reader(io.StringIO(str(arts["tables/connection-properties.csv"].content))))
    cells = []
    for ws in wb.worksheets:
        title = ws["A1"].value
        for prop, value in ws.iter_rows(min_row=3, values_only=True):
            cells.append([title, prop, value])
    assert cells == rows[1:]


def test_the_shared_pool_plan_expects_the_drop() -> None:
    """Figure 16 (guide 000 §7.2): the plan's test of the pilot stage expects what the engine
    finds — a share of connections dropped — never a blanket success."""
    import json

    plan = json.loads(str(files("g000-fig16-shared-pool", "plan")["plan/rollout.json"].content))
    expected = [t["expected"] for s in plan["stages"] for t in s["tests"]]
    assert any("outcome dropped" in e for e in expected)
    assert any("outcome ok" in e for e in expected)


def test_the_sharepoint_plan_expects_each_sites_pool() -> None:
    import json

    plan = json.loads(str(files("g001-sharepoint-outbound", "plan")["plan/rollout.json"].content))
    first, second = plan["stages"]
    assert first["set"] == {"sites.dallas.er_routes": False}
    chicago = [t for t in first["tests"] if t["where"] == "a host of site chicago"]
    assert chicago and all(
        "1.1.2.0/24 (pool of circuit chicago-er)" in t["expected"] for t in chicago
    )
    dallas = [t for t in second["tests"] if t["where"] == "a host of site dallas"]
    assert dallas
    assert all("1.1.3.0/24 (pool of circuit dallas-er)" in t["expected"] for t in dallas)
    tests = {t["what"] for t in first["tests"]}
    assert "Validate that ExpressRoute has accepted your advertised prefixes" in tests
    assert plan["erplan_stages"]["before"] == {
        "circuits.chicago-er.up": False,
        "circuits.dallas-er.up": False,
    }


# -- the command line ---------------------------------------------------------------------------


def erplan(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_exe(), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def _exe() -> str:
    return str(Path(sys.executable).with_name("erplan"))


def test_one_kind_to_standard_output() -> None:
    r = erplan("generate", "frr", str(EXAMPLES / "g000-fig10-snat.yaml"))
    assert r.returncode == 0 and r.stdout.startswith("! erplan generate frr")


def test_a_refused_design_names_the_feature_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = erplan("generate", "ios-xe", str(EXAMPLES / "g000-fig10-snat.yaml"), "-o", str(out))
    assert r.returncode == 2
    assert "g000-fig10-snat.yaml:" in r.stderr and "nat-device" in r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()


def test_all_skips_what_a_generator_refuses_and_says_where(tmp_path: Path) -> None:
    r = erplan("generate", "all", str(EXAMPLES / "g000-fig10-snat.yaml"), "-o", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "ios-xe skipped" in r.stderr and "junos skipped" in r.stderr
    assert (tmp_path / "frr" / "hq-er.conf").is_file()
    assert not (tmp_path / "ios-xe").exists()


def test_missing_peer_subnets_are_bad_input(tmp_path: Path) -> None:
    text = (EXAMPLES / "g000-fig17-per-circuit-pools.yaml").read_text()
    text = text.replace("    primary_subnet: 20.2.1.0/30\n", "", 1)
    design = tmp_path / "d.yaml"
    design.write_text(text)
    r = erplan("generate", "frr", str(design), "-o", str(tmp_path / "out"))
    assert r.returncode == 2
    assert f"{design}:" in r.stderr and "primary_subnet" in r.stderr and "ERP911" in r.stderr
    assert not (tmp_path / "out").exists()


def test_a_link_a_device_or_the_input_is_never_replaced(tmp_path: Path) -> None:
    design = tmp_path / "d.yaml"
    design.write_text((EXAMPLES / "g001-sharepoint-outbound.yaml").read_text())
    out = tmp_path / "out"
    (out / "frr").mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (out / "frr" / "chicago-er.conf").symlink_to(victim)
    r = erplan("generate", "frr", str(design), "-o", str(out))
    assert r.returncode == 2 and "not a regular file" in r.stderr
    assert victim.read_text() == "keep" and not (out / "frr" / "dallas-er.conf").exists()
    # The design itself as an output file.
    (out / "frr" / "chicago-er.conf").unlink()
    os.link(design, out / "frr" / "chicago-er.conf")
    r = erplan("generate", "frr", str(design), "-o", str(out))
    assert r.returncode == 2 and "input" in r.stderr
    assert design.read_text().startswith("# Source")
    # A device node.
    (out / "frr" / "chicago-er.conf").unlink()
    (out / "frr" / "chicago-er.conf").symlink_to("/dev/null")
    r = erplan("generate", "frr", str(design), "-o", str(out))
    assert r.returncode == 2


HOSTILE = 'x"; reboot'


def test_hostile_names_are_escaped_everywhere(tmp_path: Path) -> None:
    text = (EXAMPLES / "g001-exchange-hybrid.yaml").read_text()
    text = text.replace("chicago-er", f"'{HOSTILE} $(id) {{}}'").replace(
        "exchange-hybrid", "'=HYPERLINK(\"x\")|`*'"
    )
    design = tmp_path / "d.yaml"
    design.write_text(text)
    out = tmp_path / "out"
    r = erplan("generate", "all", str(design), "-o", str(out))
    assert r.returncode == 0, r.stderr
    for p in out.rglob("*"):
        if p.is_file() and p.suffix != ".xlsx":
            body = p.read_text()
            assert HOSTILE not in body or p.suffix in (
                ".sh",
                ".md",
                ".json",
                ".yaml",
                ".tf",
                ".csv",
            )
            assert "$(id)" not in body or p.suffix in (
                ".sh",
                ".md",
                ".json",
                ".yaml",
                ".tf",
                ".csv",
            )
    for conf in [*out.glob("frr/*.conf"), *out.glob("ios-xe/*.cfg"), *out.glob("junos/*.conf")]:
        assert '"; reboot' not in conf.read_text()
    sh = next(p for p in out.glob("azure/*.sh") if "reboot" in p.read_text())
    assert "CIRCUIT='x\"; reboot $(id) {}'" in sh.read_text()
    csv_text = (out / "tables" / "connection-properties.csv").read_text()
    cells = [c for row in csv.reader(io.StringIO(csv_text)) for c in row]
    assert '\'=HYPERLINK("x")|`*' in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    md = (out / "tables" / "connection-properties.md").read_text()
    assert "\\|\\`\\*" in md  # a pipe would end the Markdown cell
    tf = (out / "terraform" / "microsoft-peering.tf").read_text()
    assert '"x\\"; reboot $(id) {}"' in tf
    if os.geteuid() == 0 and Path("/usr/bin/vtysh").exists():
        for conf in out.glob("frr/*.conf"):
            r = subprocess.run(
                ["vtysh", "--dryrun", "-f", str(conf)], capture_output=True, text=True
            )
            assert r.returncode == 0 and not (r.stdout + r.stderr).strip()


def test_a_name_with_a_line_break_is_refused(tmp_path: Path) -> None:
    text = (EXAMPLES / "g001-exchange-hybrid.yaml").read_text()
    design = tmp_path / "d.yaml"
    design.write_text(text.replace("chicago-er", '"chicago\\nrouter bgp 1"'))
    r = erplan("generate", "frr", str(design), "-o", str(tmp_path / "out"))
    assert r.returncode == 2 and "ERP016" in r.stderr and f"{design}:" in r.stderr
    assert not (tmp_path / "out").exists()
