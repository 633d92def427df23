"""A client of Microsoft's Microsoft 365 IP Address and URL web service, used as Microsoft
documents it (FACTS.md §3.1):

- ``/version/<instance>`` says which version of the endpoints is the latest; it is checked at
  most once an hour per instance (the answer is remembered in the state file);
- ``/endpoints/<instance>`` is downloaded only when that version differs from the one already
  downloaded (or the download is missing, or asked with other parameters);
- ``/changes/<instance>/<version>`` gives the change records since the previous download, with
  the effective dates of added addresses;
- every request carries the same ``ClientRequestId``, a GUID made once and kept in the state
  file next to the output (``FILE.fetch-state.json``).

Requests use the standard library's HTTP client with a timeout, only http and https (no file
or ftp, no redirect elsewhere), and a bound on the size of each answer. Every answer is
validated before anything is written; the download is written atomically with its version.
"""

from __future__ import annotations

import http.client
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import (
    HTTPDefaultErrorHandler,
    HTTPErrorProcessor,
    HTTPHandler,
    HTTPRedirectHandler,
    HTTPSHandler,
    OpenerDirector,
    ProxyHandler,
    Request,
    UnknownHandler,
)

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from erplan.catalogs.diff import ExpressRouteChanges, expressroute_changes
from erplan.catalogs.endpoints import (
    CHANGES,
    CODE_RECORD,
    FILE_FORMAT,
    MAX_ENDPOINTS_BYTES,
    ChangeRecord,
    EndpointsFile,
    parse_endpoints_text,
    parse_json,
    read_endpoints_file,
    validate_json,
)
from erplan.catalogs.records import EndpointSet
from erplan.diagnostics import InputError
from erplan.files import write_atomic

__all__ = [
    "CHECK_INTERVAL_S",
    "DEFAULT_BASE_URL",
    "INSTANCES",
    "SERVICE_AREAS",
    "FeedError",
    "FetchResult",
    "fetch",
    "state_path",
]

DEFAULT_BASE_URL = "https://endpoints.office.com"
INSTANCES = ("Worldwide", "USGovDoD", "USGovGCCHigh", "China")
SERVICE_AREAS = ("Common", "Exchange", "SharePoint", "Skype")
CHECK_INTERVAL_S = 3600  # Microsoft: check the version at most once an hour
TIMEOUT_S = 30.0
MAX_SMALL_ANSWER = 64 * 1024  # /version answers are a few dozen bytes
STATE_SUFFIX = ".fetch-state.json"
STATE_FORMAT = "erplan-fetch-state/1"
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")


class FeedError(Exception):
    """The web service could not be used (network, HTTP status, throttling): exit 2."""


# -- state kept between runs ------------------------------------------------------------------
class _Instance(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checked: AwareDatetime  # when /version was last asked
    latest: str = Field(pattern=r"^\d{10}$")  # what it answered


class _State(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str = STATE_FORMAT
    client_request_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    instances: dict[str, _Instance] = {}


_STATE = TypeAdapter(_State)


class _Version(BaseModel):
    model_config = ConfigDict(extra="ignore")

    instance: str
    latest: str = Field(pattern=r"^\d{10}$")


_VERSION = TypeAdapter(_Version)


def state_path(output: Path) -> Path:
    """Where the ClientRequestId and the last version check are kept: beside the download."""
    return output.with_name(output.name + STATE_SUFFIX)


def _load_state(path: Path) -> _State:
    if not path.exists():
        return _State()
    raw = path.read_bytes()
    data, text = parse_json(raw, str(path))
    state: _State = validate_json(_STATE, data, text, str(path), CODE_RECORD, "the fetch state")
    if state.format != STATE_FORMAT:
        raise FeedError(f"{path} is not a state file of this erplan; remove it to start afresh")
    return state


def _save_state(path: Path, state: _State) -> None:
    write_atomic(path, state.model_dump_json(indent=2) + "\n")


# -- HTTP ---------------------------------------------------------------------------------------
class _SameSchemes(HTTPRedirectHandler):
    """Follow redirects to http and https only."""

    def redirect_request(
        self, req: Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Request | None:
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise FeedError(f"refusing a redirect to {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> OpenerDirector:
    opener = OpenerDirector()
    for handler in (
        ProxyHandler(),
        UnknownHandler(),
        HTTPHandler(),
        HTTPSHandler(),
        HTTPDefaultErrorHandler(),
        _SameSchemes(),
        HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise FeedError(f"--base-url {base_url!r} is not an http(s) URL such as {DEFAULT_BASE_URL}")
    return base_url.rstrip("/")


@dataclass
class _Client:
    base_url: str
    client_request_id: uuid.UUID
    timeout: float = TIMEOUT_S
    opener: OpenerDirector = field(default_factory=_opener)

    def get(self, path: str, params: dict[str, str], limit: int) -> tuple[bytes, str]:
        """(body, the URL as messages name it: without the ClientRequestId)."""
        shown = f"{self.base_url}{path}" + (f"?{urlencode(params)}" if params else "")
        query = urlencode({"ClientRequestId": str(self.client_request_id), **params})
        request = Request(
            f"{self.base_url}{path}?{query}",
            headers={"Accept": "application/json", "User-Agent": "erplan"},
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                length = response.headers.get("Content-Length", "")
                if length.isdigit() and int(length) > limit:
                    raise FeedError(f"{shown}: the answer is {length} bytes, over the limit")
                body: bytes = response.read(limit + 1)
        except HTTPError as exc:
            if exc.code == 429:
                raise FeedError(
                    f"{shown}: HTTP 429, the web service is throttling this client; Microsoft "
                    "asks to wait an hour before trying again"
                ) from None
            raise FeedError(f"{shown}: HTTP {exc.code} {exc.reason}") from None
        except (URLError, TimeoutError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise FeedError(f"{shown}: cannot reach the web service ({reason})") from None
        if len(body) > limit:
            raise FeedError(f"{shown}: the answer is larger than {limit:,} bytes")
        return body, shown


# -- fetching -------------------------------------------------------------------------------
@dataclass(frozen=True)
class FetchResult:
    output: Path
    instance: str
    version: str
    previous_version: str | None
    checked: bool  # whether /version was asked (at most once an hour)
    written: bool  # whether a new download was written
    sets: tuple[EndpointSet, ...] = ()
    expressroute: ExpressRouteChanges | None = None

    @property
    def changed(self) -> bool:
        return self.written

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": str(self.output),
            "instance": self.instance,
            "version": self.version,
            "previous_version": self.previous_version,
            "version_checked": self.checked,
            "changed": self.changed,
            "written": self.written,
            "sets": len(self.sets),
            "expressroute_sets": sum(1 for s in self.sets if s.express_route),
            "expressroute": self.expressroute.to_dict() if self.expressroute else None,
        }


def _previous(output: Path) -> EndpointsFile | None:
    """The download already at ``output``, if it is one erplan can read."""
    if not output.is_file():
        return None
    try:
        return read_endpoints_file(output)
    except InputError:
        return None  # not a download: it is replaced


def fetch(
    output: Path,
    *,
    instance: str = "Worldwide",
    tenant: str | None = None,
    service_areas: tuple[str, ...] | None = None,
    base_url: str = DEFAULT_BASE_URL,
    now: datetime | None = None,
    timeout: float = TIMEOUT_S,
) -> FetchResult:
    """Bring the download at ``output`` up to date; see the module's documentation.

    Raises FeedError (network, HTTP, throttling) or InputError (an answer not in the web
    service's format, located in it); nothing is written then.
    """
    if instance not in INSTANCES:
        raise FeedError(f"unknown instance {instance!r}; one of {', '.join(INSTANCES)}")
    if tenant is not None and not _TENANT.match(tenant):
        raise FeedError(f"--tenant {tenant!r} is not a tenant name such as contoso")
    now = now or datetime.now(UTC)
    base = check_base_url(base_url)
    spath = state_path(output)
    state = _load_state(spath)
    client = _Client(base, state.client_request_id, timeout)
    previous = _previous(output)
    same_request = previous is not None and (
        previous.instance,
        previous.tenant,
        previous.service_areas,
    ) == (instance, tenant, service_areas)

    known = state.instances.get(instance)
    checked = known is None or (now - known.checked).total_seconds() >= CHECK_INTERVAL_S
    if checked:
        body, shown = client.get(f"/version/{instance}", {}, MAX_SMALL_ANSWER)
        data, text = parse_json(body, shown)
        answer: _Version = validate_json(_VERSION, data, text, shown, CODE_RECORD, "version")
        known = _Instance(checked=now, latest=answer.latest)
        state.instances[instance] = known
        _save_state(spath, state)  # the check counts even if the download fails
    assert known is not None
    latest = known.latest
    old_version = previous.version if previous is not None else None
    if same_request and old_version == latest:
        assert previous is not None
        return FetchResult(output, instance, latest, old_version, checked, False, previous.sets)

    params: dict[str, str] = {}
    if service_areas:
        params["ServiceAreas"] = ",".join(service_areas)
    if tenant:
        params["TenantName"] = tenant
    body, shown = client.get(f"/endpoints/{instance}", params, MAX_ENDPOINTS_BYTES)
    data, text = parse_json(body, shown)
    if not isinstance(data, list):
        raise FeedError(f"{shown}: expected a JSON array of endpoint sets")
    sets = parse_endpoints_text(data, text, shown).sets
    changes: list[ChangeRecord] = []
    changes_data: list[Any] = []
    if old_version is not None and old_version != latest:
        body, shown = client.get(f"/changes/{instance}/{old_version}", {}, MAX_ENDPOINTS_BYTES)
        changes_data, text = parse_json(body, shown)
        changes = validate_json(CHANGES, changes_data, text, shown, CODE_RECORD, "changes")
    document = {
        "format": FILE_FORMAT,
        "instance": instance,
        "version": latest,
        "previous_version": old_version,
        "tenant": tenant,
        "service_areas": list(service_areas) if service_areas else None,
        "fetched": now.isoformat(timespec="seconds"),
        "changes": changes_data,
        "endpoints": data,
    }
    payload = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    write_atomic(output, payload.decode("utf-8"))
    before = previous.sets if previous is not None else ()
    er = expressroute_changes(before, sets, changes) if previous is not None else None
    return FetchResult(output, instance, latest, old_version, checked, True, sets, er)


def canonical_service_areas(given: list[str]) -> tuple[str, ...] | None:
    """``Exchange,sharepoint`` -> ("Exchange", "SharePoint"); FeedError for an unknown one."""
    out: list[str] = []
    by_key = {a.casefold(): a for a in SERVICE_AREAS}
    for item in given:
        for part in item.split(","):
            if not part.strip():
                continue
            area = by_key.get(part.strip().casefold())
            if area is None:
                raise FeedError(
                    f"unknown service area {part.strip()!r}; one of {', '.join(SERVICE_AREAS)}"
                )
            if area not in out:
                out.append(area)
    return tuple(out) or None
