"""`erplan endpoints fetch` against a local HTTP server (127.0.0.1, in this process) serving
answers in the web service's format: the version checked at most hourly, the endpoints fetched
only when it changed, one ClientRequestId kept between runs, the download written atomically
with its version, what changed for ExpressRoute with effective dates; errors, throttling and
malformed answers are exit 2 with nothing written. No real network, ever."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from _cli import run
from erplan.catalogs import load_catalogs
from erplan.catalogs.feed import FeedError, fetch, state_path

DATA = Path(__file__).parent / "data"
FEED = DATA / "feed"
OLD = (DATA / "endpoints" / "old.json").read_bytes()
NEW = (DATA / "endpoints" / "new.json").read_bytes()


@dataclass
class Service:
    """What the fake web service answers, and every request it received."""

    routes: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)

    def serve(self, path: str, body: bytes, status: int = 200) -> None:
        self.routes[path] = (status, body)

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Service, str]]:
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    state = Service()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            state.requests.append((parts.path, parse_qs(parts.query)))
            status, body = state.routes.get(parts.path, (404, b'{"error": "not found"}'))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _first_version(svc: Service) -> None:
    svc.serve("/version/Worldwide", (FEED / "version-1.json").read_bytes())
    svc.serve("/endpoints/Worldwide", OLD)


def _second_version(svc: Service) -> None:
    svc.serve("/version/Worldwide", (FEED / "version-2.json").read_bytes())
    svc.serve("/endpoints/Worldwide", NEW)
    svc.serve("/changes/Worldwide/2024100100", (FEED / "changes-since-1.json").read_bytes())


T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_first_download_is_written_with_its_version(
    service: tuple[Service, str], tmp_path: Path
) -> None:
    svc, base = service
    _first_version(svc)
    out = tmp_path / "endpoints.json"
    result = fetch(out, base_url=base, now=T0)
    assert (result.written, result.version, result.previous_version) == (True, "2024100100", None)
    assert svc.paths() == ["/version/Worldwide", "/endpoints/Worldwide"]
    document = json.loads(out.read_text())
    assert (document["format"], document["instance"], document["version"]) == (
        "erplan-endpoints/1",
        "Worldwide",
        "2024100100",
    )
    assert document["endpoints"] == json.loads(OLD)
    # The download is a usable --endpoints file as it stands.
    assert [s.id for s in load_catalogs(out).endpoint_sets] == sorted(
        s["id"] for s in json.loads(OLD)
    )
    ids = {q["ClientRequestId"][0] for _, q in svc.requests}
    assert len(ids) == 1 and uuid.UUID(ids.pop()).version == 4
    state = json.loads(state_path(out).read_text())
    assert state["instances"]["Worldwide"]["latest"] == "2024100100"


def test_version_is_checked_at_most_hourly_and_unchanged_downloads_are_not_repeated(
    service: tuple[Service, str], tmp_path: Path
) -> None:
    svc, base = service
    _first_version(svc)
    out = tmp_path / "endpoints.json"
    fetch(out, base_url=base, now=T0)
    before = out.stat().st_mtime_ns
    svc.requests.clear()
    soon = fetch(out, base_url=base, now=T0 + timedelta(minutes=59))
    assert (soon.written, soon.checked, svc.paths()) == (False, False, [])  # no request at all
    later = fetch(out, base_url=base, now=T0 + timedelta(minutes=61))
    assert (later.written, later.checked) == (False, True)
    assert svc.paths() == ["/version/Worldwide"]  # the version only: it did not change
    assert out.stat().st_mtime_ns == before


def test_a_new_version_is_downloaded_with_what_changed_for_expressroute(
    service: tuple[Service, str], tmp_path: Path
) -> None:
    svc, base = service
    _first_version(svc)
    out = tmp_path / "endpoints.json"
    fetch(out, base_url=base, now=T0)
    first_id = svc.requests[0][1]["ClientRequestId"]
    _second_version(svc)
    svc.requests.clear()
    result = fetch(out, base_url=base, now=T0 + timedelta(hours=2))
    assert svc.paths() == [
        "/version/Worldwide",
        "/endpoints/Worldwide",
        "/changes/Worldwide/2024100100",
    ]
    assert all(q["ClientRequestId"] == first_id for _, q in svc.requests)  # kept between runs
    assert (result.written, result.version, result.previous_version) == (
        True,
        "2024110100",
        "2024100100",
    )
    er = result.expressroute
    assert er is not None
    assert [s.id for s in er.stopped] == [46]
    assert [(p.set_id, p.prefix, p.effective) for p in er.prefixes_added] == [
        (1, "52.96.0.0/14", "20241201")
    ]
    assert [(p.set_id, p.prefix) for p in er.prefixes_removed] == [(1, "13.107.6.152/31")]
    assert json.loads(out.read_text())["previous_version"] == "2024100100"


def test_cli_fetch_then_diff_shows_effective_dates_and_the_guides_note(
    service: tuple[Service, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    svc, base = service
    _first_version(svc)
    out = tmp_path / "endpoints.json"
    first = run(["endpoints", "fetch", "-o", str(out), "--base-url", base], capsys, monkeypatch)
    assert first.code == 0 and "version 2024100100 written" in first.out
    keep = tmp_path / "previous.json"
    keep.write_bytes(out.read_bytes())
    # An hour later (the state remembers when the version was checked).
    state = json.loads(state_path(out).read_text())
    state["instances"]["Worldwide"]["checked"] = "2000-01-01T00:00:00Z"
    state_path(out).write_text(json.dumps(state))
    _second_version(svc)
    second = run(
        ["endpoints", "fetch", "-o", str(out), "--base-url", base, "-f", "json"],
        capsys,
        monkeypatch,
    )
    answer = json.loads(second.out)
    assert (second.code, answer["changed"], answer["version"]) == (0, True, "2024110100")
    assert answer["expressroute"]["prefixes_added"][0]["effective"] == "20241201"
    diff = run(["endpoints", "diff", str(keep), str(out)], capsys, monkeypatch)
    assert diff.code == 0
    assert "+ 52.96.0.0/14 in set 1 (Exchange, community 12076:5010) (effective 20241201)" in (
        diff.out
    )
    assert "stopped being ExpressRoute-able" in diff.out
    assert "Pay close attention to the Effective Date in the RSS feed" in diff.out
    unchanged = run(["endpoints", "fetch", "-o", str(out), "--base-url", base], capsys, monkeypatch)
    assert "unchanged since the last download (version 2024110100" in unchanged.out


@pytest.mark.parametrize(
    ("route", "status", "body", "message"),
    [
        ("/version/Worldwide", 500, b"oops", "HTTP 500"),
        ("/version/Worldwide", 429, b"", "HTTP 429, the web service is throttling this client"),
        ("/endpoints/Worldwide", 429, b"", "HTTP 429"),
        ("/endpoints/Worldwide", 503, b"", "HTTP 503"),
    ],
)
def test_errors_and_throttling_are_exit_2_and_write_nothing(
    service: tuple[Service, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    route: str,
    status: int,
    body: bytes,
    message: str,
) -> None:
    svc, base = service
    _first_version(svc)
    svc.serve(route, body, status)
    out = tmp_path / "endpoints.json"
    result = run(["endpoints", "fetch", "-o", str(out), "--base-url", base], capsys, monkeypatch)
    assert result.code == 2 and result.out == "" and message in result.err
    assert len(result.err.splitlines()) == 1 and "Traceback" not in result.err
    assert not out.exists()


@pytest.mark.parametrize(
    ("route", "file", "where", "code"),
    [
        ("/version/Worldwide", "bad-version.json", "/version/Worldwide:3:12", "ERP096"),
        ("/endpoints/Worldwide", "malformed-endpoints.json", "/endpoints/Worldwide:5:3", "ERP091"),
    ],
)
def test_malformed_answers_are_located_exit_2_and_write_nothing(
    service: tuple[Service, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    route: str,
    file: str,
    where: str,
    code: str,
) -> None:
    svc, base = service
    _first_version(svc)
    svc.serve(route, (FEED / file).read_bytes())
    out = tmp_path / "endpoints.json"
    result = run(["endpoints", "fetch", "-o", str(out), "--base-url", base], capsys, monkeypatch)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"{base}{where}: ") and f"[{code}]" in result.err
    assert not out.exists()


def test_a_bad_set_from_the_service_is_located(
    service: tuple[Service, str], tmp_path: Path
) -> None:
    svc, base = service
    _first_version(svc)
    sets = json.loads(OLD)
    sets[1]["ips"] = ["40.96.0.0/33"]
    svc.serve("/endpoints/Worldwide", json.dumps(sets, indent=1).encode())
    from erplan.diagnostics import InputError

    with pytest.raises(InputError) as info:
        fetch(tmp_path / "e.json", base_url=base, now=T0)
    (problem,) = info.value.findings
    assert problem.code == "ERP093" and problem.location is not None
    assert problem.location.file == f"{base}/endpoints/Worldwide"
    assert not (tmp_path / "e.json").exists()


def test_parameters_are_checked_and_sent(service: tuple[Service, str], tmp_path: Path) -> None:
    svc, base = service
    _first_version(svc)
    fetch(
        tmp_path / "e.json",
        base_url=base,
        tenant="contoso",
        service_areas=("Exchange", "SharePoint"),
        now=T0,
    )
    query = svc.requests[-1][1]
    assert (query["TenantName"], query["ServiceAreas"]) == (["contoso"], ["Exchange,SharePoint"])
    for bad in ({"instance": "Germany"}, {"tenant": "a b"}, {"base_url": "file:///etc"}):
        with pytest.raises(FeedError):
            fetch(tmp_path / "x.json", **{"base_url": base, **bad})  # type: ignore[arg-type]
    assert not (tmp_path / "x.json").exists()


def test_unreachable_service_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run(
        [
            "endpoints",
            "fetch",
            "-o",
            str(tmp_path / "e.json"),
            "--base-url",
            f"http://127.0.0.1:{port}",
        ],
        capsys,
        monkeypatch,
    )
    assert result.code == 2 and "cannot reach the web service" in result.err
