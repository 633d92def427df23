"""`diff_endpoints` and the `erplan endpoints diff` / `erplan catalog` commands."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from erplan.catalogs import Change, diff_endpoints, load_catalogs, read_endpoints
from erplan.cli import main

DATA = Path(__file__).parent / "data" / "endpoints"
OLD, NEW = DATA / "old.json", DATA / "new.json"
ERPLAN = Path(sys.executable).with_name("erplan")


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """Run the console entry point in-process; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["erplan", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# -- the diff itself -------------------------------------------------------------------------
def test_diff_reports_each_kind_of_change() -> None:
    diff = diff_endpoints(read_endpoints(OLD), read_endpoints(NEW))
    assert [s.id for s in diff.added] == [193]
    assert [s.id for s in diff.removed] == [73]
    changed = {c.id: c for c in diff.changed}
    assert sorted(changed) == [1, 9, 46]

    exo = changed[1]
    assert exo.ips_added == ("52.96.0.0/14",)
    assert exo.ips_removed == ("13.107.6.152/31",)
    assert exo.urls_added == ("outlook.cloud.microsoft",)
    assert exo.urls_removed == ()
    assert exo.express_route is None and exo.category is None and exo.required is None

    eop = changed[9]
    assert eop.category == Change("Allow", "Optimize")
    assert eop.tcp_ports == Change((443,), (25, 443))
    assert eop.ips_added == eop.ips_removed == ()

    common = changed[46]
    assert common.express_route == Change(True, False)
    assert common.required == Change(True, False)
    assert common.category is None

    assert diff.expressroute_affected and not diff.empty


def test_identical_catalogs_have_no_differences() -> None:
    shipped = load_catalogs().endpoint_sets
    diff = diff_endpoints(shipped, shipped)
    assert diff.empty and not diff.expressroute_affected
    assert diff.to_dict()["summary"] == {
        "added": 0,
        "removed": 0,
        "changed": 0,
        "expressroute_affected": False,
    }


def test_only_default_set_churn_does_not_affect_expressroute() -> None:
    old = read_endpoints(OLD)
    without_cdn = tuple(s for s in old if s.id != 73)
    diff = diff_endpoints(old, without_cdn)
    assert [s.id for s in diff.removed] == [73]
    assert not diff.expressroute_affected


def test_diff_to_dict_is_stable_json() -> None:
    d1 = diff_endpoints(read_endpoints(OLD), read_endpoints(NEW)).to_dict()
    d2 = diff_endpoints(list(reversed(read_endpoints(OLD))), read_endpoints(NEW)).to_dict()
    assert json.dumps(d1) == json.dumps(d2)  # input order does not matter
    assert list(d1) == ["added", "removed", "changed", "summary"]
    assert d1["summary"] == {
        "added": 1,
        "removed": 1,
        "changed": 3,
        "expressroute_affected": True,
    }
    by_id = {c["id"]: c for c in d1["changed"]}
    assert by_id[46]["express_route"] == {"old": True, "new": False}
    assert by_id[9]["tcp_ports"] == {"old": [443], "new": [25, 443]}
    assert by_id[1]["ips_removed"] == ["13.107.6.152/31"]
    assert d1["added"][0]["urls"] == ["*.static.microsoft"]


# -- command line ----------------------------------------------------------------------------
def test_cli_endpoints_diff_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(
        ["endpoints", "diff", str(OLD), str(NEW), "--format", "json"], capsys, monkeypatch
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["old"] == str(OLD) and data["new"] == str(NEW)
    assert [s["id"] for s in data["added"]] == [193]
    assert [s["id"] for s in data["removed"]] == [73]
    assert [c["id"] for c in data["changed"]] == [1, 9, 46]
    assert data["summary"]["expressroute_affected"] is True


def test_cli_endpoints_diff_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(["endpoints", "diff", str(OLD), str(NEW)], capsys, monkeypatch)
    assert code == 0
    assert "Added sets (1)" in out and "Removed sets (1)" in out and "Changed sets (3)" in out
    assert "expressRoute: yes → no" in out
    assert "+ ip 52.96.0.0/14" in out


def test_cli_endpoints_diff_bad_file_exits_2_with_position(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = DATA / "malformed.json"
    code, out, err = run(["endpoints", "diff", str(OLD), str(bad)], capsys, monkeypatch)
    assert code == 2
    assert out == ""
    assert err.startswith(f"{bad}:6:5: ")
    assert "Traceback" not in err


def test_cli_catalog_summary_and_listing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(["catalog", "--format", "json"], capsys, monkeypatch)
    assert code == 0
    summary = json.loads(out)
    assert summary["catalogs"]["peering-locations"] == 105
    assert summary["catalogs"]["endpoints"] == 63
    assert summary["endpoints_source"] == "shipped snapshot"

    code, out, _ = run(["catalog", "services", "-f", "json"], capsys, monkeypatch)
    assert code == 0
    services = json.loads(out)
    assert services["catalog"] == "services" and services["count"] == len(services["items"])
    by_name = {s["name"]: s for s in services["items"]}
    assert by_name["Exchange Online"]["community"] == "12076:5010"
    assert by_name["Exchange Online"]["authorization"] is True

    code, out, _ = run(
        ["catalog", "endpoints", "--endpoints", str(DATA / "with_ipv6.json"), "-f", "json"],
        capsys,
        monkeypatch,
    )
    assert code == 0
    items = json.loads(out)["items"]
    assert items[0]["ipv6"] == ["2603:1063::/38"] and items[0]["community"] == "12076:5030"

    code, out, _ = run(["catalog", "front-ends"], capsys, monkeypatch)
    assert code == 0 and "Amsterdam" in out and "West Europe" in out


def test_cli_catalog_refuses_bad_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = DATA / "bad_cidr.json"
    code, out, err = run(["catalog", "endpoints", "--endpoints", str(bad)], capsys, monkeypatch)
    assert (code, out) == (2, "")
    assert err.startswith(f"{bad}:5:32: ")
    code, _, err = run(["catalog", "--format", "sarif"], capsys, monkeypatch)
    assert code == 2 and "sarif" in err
    code, _, _ = run(["catalog", "nonsense"], capsys, monkeypatch)
    assert code == 2


@pytest.mark.skipif(not ERPLAN.exists(), reason="console script not installed")
def test_console_script_lists_the_commands() -> None:
    done = subprocess.run(
        [str(ERPLAN), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert "catalog" in done.stdout and "endpoints" in done.stdout
    done = subprocess.run(
        [str(ERPLAN), "endpoints", "diff", str(OLD), str(DATA / "absent.json")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "absent.json:1:1:" in done.stderr


def test_default_set_url_churn_is_not_expressroute_relevant() -> None:
    old = read_endpoints(OLD)
    cdn = next(s for s in old if s.id == 73)
    moved = dataclasses.replace(cdn, urls=("*.msocdn.net",))
    diff = diff_endpoints(old, tuple(moved if s.id == 73 else s for s in old))
    assert [c.id for c in diff.changed] == [73]
    assert diff.changed[0].urls_added == ("*.msocdn.net",)
    assert not diff.changed[0].expressroute_set
    assert not diff.expressroute_affected


def test_catalog_text_does_not_interpret_markup_from_a_download(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sets = json.loads(OLD.read_text())
    sets[3]["urls"] = ["[red]evil[/red].example"]
    path = tmp_path / "markup.json"
    path.write_text(json.dumps(sets))
    monkeypatch.setenv("COLUMNS", "240")  # wide enough that no cell is folded
    code, out, _ = run(["catalog", "endpoints", "--endpoints", str(path)], capsys, monkeypatch)
    assert code == 0
    assert "[red]evil[/red].example" in out
    code, out, _ = run(["endpoints", "diff", str(OLD), str(path)], capsys, monkeypatch)
    assert code == 0
    assert "+ url [red]evil[/red].example" in out
