"""`erplan pac` and `erplan lists`: files written where asked (rendered first, each written
atomically), one PAC on standard output for one site, JSON that matches the files, exit 1 on
an error finding and 2 on unusable input, with nothing written."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

from erplan.cli import main

ROOT = Path(__file__).resolve().parent.parent
SHAREPOINT = ROOT / "examples" / "g001-sharepoint-outbound.yaml"
PROXY_ONLY = ROOT / "examples" / "g000-proxy-only-pac.yaml"
NO_PROXY = ROOT / "examples" / "g000-proxy-only-direct.yaml"
GOLDEN = ROOT / "tests" / "golden" / "pac"


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["erplan", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), out, err


def test_pac_files_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out_dir = tmp_path / "pac"
    code, out, _ = run(
        ["pac", str(SHAREPOINT), "-o", str(out_dir), "--date", "2026-01-01"], capsys, monkeypatch
    )
    assert code == 0
    assert sorted(p.name for p in out_dir.iterdir()) == ["chicago.pac", "dallas.pac"]
    for name in ("chicago.pac", "dallas.pac"):
        golden = GOLDEN / "g001-sharepoint-outbound" / name
        assert (out_dir / name).read_text() == golden.read_text()
    assert f"{out_dir / 'chicago.pac'}: site chicago, " in out


def test_one_site_on_standard_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run(
        ["pac", str(PROXY_ONLY), "--site", "hq", "--date", "2026-01-01"], capsys, monkeypatch
    )
    assert code == 0
    assert out == (GOLDEN / "g000-proxy-only-pac" / "hq.pac").read_text()
    assert "ERP905" in err


def test_json_lists_each_site(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(
        ["pac", str(SHAREPOINT), "-f", "json", "--mode", "optimize", "--date", "2026-01-01"],
        capsys,
        monkeypatch,
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["mode"] == "optimize" and doc["date"] == "2026-01-01"
    sites = {s["site"]: s for s in doc["sites"]}
    assert sites["dallas"]["circuits"] == ["dallas-er"]
    assert "*.sharepoint.com" in sites["dallas"]["direct"]
    assert sites["dallas"]["proxy"] == "PROXY proxy.contoso.com:8080"
    assert sites["dallas"]["pac"].startswith("// PAC file of site 'dallas'")
    assert sites["dallas"]["bytes"] == len(sites["dallas"]["pac"].encode())


def test_no_proxy_and_no_direct_internet_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(["pac", str(NO_PROXY), "-o", str(tmp_path / "x")], capsys, monkeypatch)
    assert code == 1
    assert "ERP902 error site hq has no proxy" in out
    assert "no PAC file for hq: no proxy (proxy.mode: direct)" in out
    assert not (tmp_path / "x").exists()


def test_usage_errors_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "none"
    for args, message in (
        (["pac", str(SHAREPOINT)], "2 sites get a PAC file"),
        (["pac", str(SHAREPOINT), "--site", "chicgo", "-o", str(target)], "did you mean"),
        (["pac", str(SHAREPOINT), "--date", "yesterday", "-o", str(target)], "is not a date"),
        (["lists", str(SHAREPOINT), "-f", "sarif"], "text or json"),
    ):
        code, _, err = run(args, capsys, monkeypatch)
        assert code == 2 and message in err
    assert not target.exists()


def test_lists_files_and_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out_dir = tmp_path / "lists"
    code, _, _ = run(["lists", str(SHAREPOINT), "-o", str(out_dir)], capsys, monkeypatch)
    assert code == 0
    names = sorted(p.name for p in out_dir.iterdir())
    assert "chicago.bypass.txt" in names and "dallas.lists.csv" in names
    assert "chicago.circuit-chicago-er.ipv4.txt" in names
    assert "dallas.breakout-chicago-inet.fqdn.txt" in names
    bypass = (out_dir / "chicago.bypass.txt").read_text().splitlines()
    assert "*.sharepoint.com" in bypass
    code, out, _ = run(["lists", str(SHAREPOINT)], capsys, monkeypatch)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["site"] for r in rows} == {"chicago", "dallas"}
    assert out.count("site,path,devices") == 1
    ipv4 = (out_dir / "chicago.circuit-chicago-er.ipv4.txt").read_text().splitlines()
    assert ipv4 == [
        r["value"]
        for r in rows
        if r["site"] == "chicago" and r["path"] == "circuit:chicago-er" and r["type"] == "ipv4"
    ]
    code, out, _ = run(["lists", str(PROXY_ONLY), "-f", "json"], capsys, monkeypatch)
    doc = json.loads(out)
    (hq,) = doc["sites"]
    assert "*.officeapps.live.com" in hq["pac_only"]
    assert hq["paths"]["breakout:hq-inet"]["devices"] == ["perimeter"]
