"""`erplan endpoints dynamics`: a design's Dynamics 365 prefixes from an Azure service-tag
download, read as an untrusted file. Every prefix here is an RFC 5737 documentation range."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from _cli import run
from _designs import CATALOGS, load, two_sites
from erplan.catalogs import service_tags
from erplan.diagnostics import InputError


def tags(values: list[dict[str, Any]]) -> dict[str, Any]:
    return {"changeNumber": 42, "cloud": "Public", "values": values}


def value(name: str, prefixes: list[str]) -> dict[str, Any]:
    region = name.split(".", 1)[1]
    return {"name": name, "id": name, "properties": {"region": region, "addressPrefixes": prefixes}}


DOWNLOAD = tags(
    [
        value("AzureCloud.westeurope", ["203.0.113.0/26", "203.0.113.64/26", "2001:db8::/48"]),
        value("AzureCloud.eastus", ["198.51.100.0/25"]),
    ]
)


def write(tmp_path: Path, data: object, name: str = "tags.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=1), "utf-8")
    return path


def test_the_fragment_is_a_valid_part_of_a_design(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, DOWNLOAD)
    got = run(
        ["endpoints", "dynamics", str(path), "--region", "West Europe", "--region", "eastus"],
        capsys,
        monkeypatch,
    )
    assert got.code == 0, got.err
    fragment = YAML(typ="safe").load(got.out)
    # IPv4 only, collapsed; regions named as the catalog names them.
    assert fragment["tenant"]["dynamics"] == {
        "West Europe": {"prefixes": ["203.0.113.0/25"]},
        "East US": {"prefixes": ["198.51.100.0/25"]},
    }
    d = two_sites()
    d["tenant"].update(fragment["tenant"])
    design = load(d).design
    assert [str(p) for p in design.tenant.dynamics["West Europe"].prefixes] == ["203.0.113.0/25"]
    as_json = run(
        ["endpoints", "dynamics", str(path), "--region", "West Europe", "-f", "json"],
        capsys,
        monkeypatch,
    )
    assert json.loads(as_json.out)["tenant"]["dynamics"]["West Europe"]["prefixes"] == [
        "203.0.113.0/25"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "Westeros"], "did you mean 'West Europe'?"),
        (["--region", "North Europe"], "no tag 'AzureCloud' for region 'North Europe'"),
        (["--region", "West Europe", "--tag", "Azure\nCloud"], "letters and digits"),
    ],
)
def test_bad_arguments_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    path = write(tmp_path, DOWNLOAD)
    got = run(["endpoints", "dynamics", str(path), *args], capsys, monkeypatch)
    assert got.code == 2 and message in got.err and not got.out
    assert "\n" not in got.err.rstrip("\n")  # one line, escaped


@pytest.mark.parametrize(
    ("content", "code", "line", "column"),
    [
        ('{"values": [', "ERP043", 1, 13),
        ("\x00binary", "ERP043", 1, 1),
        ('{"values": {"a": 1}}', "ERP044", 1, 12),
        (
            '{"values": [\n {"name": "AzureCloud.eastus",\n  "properties": {"addressPrefixes": '
            '["198.51.100.0/33"]}}]}',
            "ERP044",
            3,
            38,
        ),
        ('{"values": [{"properties": {}}]}', "ERP044", 1, 13),
    ],
)
def test_bad_downloads_are_refused_at_their_position(
    tmp_path: Path, content: str, code: str, line: int, column: int
) -> None:
    path = write(tmp_path, content)
    with pytest.raises(InputError) as err:
        service_tags.read_service_tags(path)
    found = [
        (f.code, f.location.line, f.location.column)
        for f in err.value.findings
        if f.location is not None
    ]
    assert found == [(code, line, column)], [f.render() for f in err.value.findings]


def test_a_fifo_or_an_oversized_file_is_refused_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # nobody writes to it: reading would hang
    with pytest.raises(InputError) as err:
        service_tags.read_service_tags(fifo)
    assert [f.code for f in err.value.findings] == ["ERP043"]
    monkeypatch.setattr(service_tags, "MAX_SERVICE_TAGS_BYTES", 100)
    big = write(tmp_path, DOWNLOAD, "big.json")
    with pytest.raises(InputError) as err:
        service_tags.read_service_tags(big)
    assert "bytes; larger than" in err.value.findings[0].message


def test_the_catalog_regions_are_found_under_azure_spelling(tmp_path: Path) -> None:
    got = service_tags.read_service_tags(write(tmp_path, DOWNLOAD))
    for r in CATALOGS.dynamics_regions:
        found = got.prefixes("AzureCloud", r.region.replace(" ", ""))
        assert (found is not None) == (r.region in ("West Europe", "East US"))
