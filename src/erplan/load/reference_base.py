"""Stage 2 of loading, part 2: what every reference check shares (``references``): the
names each section defines, how a finding is reported (once, not under a value reported
already), an undefined reference with its "did you mean", an unknown catalog name, a silence
without a reason, a device of the wrong kind. On the plain data, not the model."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from typing import Any

from erplan.catalogs import Catalogs
from erplan.diagnostics import Finding, Severity
from erplan.load.source import ObjectPath, SourceMap, dotted
from erplan.names import closest, did_you_mean

MAX_LISTED = 8  # names listed after an undefined reference when none is close


class Checker:
    """References between objects and to the catalogs, checked on the plain data.

    Working on the mapping (not the model) lets these be reported in the same run as type
    errors elsewhere in the file; values of the wrong type are left to pydantic's findings.
    """

    def __init__(
        self,
        data: dict[str, Any],
        source: SourceMap,
        catalogs: Catalogs | None,
        reported: set[ObjectPath],
    ) -> None:
        self.data = data
        self.source = source
        self.catalogs = catalogs
        self.reported = reported
        self.findings: list[Finding] = []

        def names(section: str) -> dict[str, None]:  # ordered, for messages; O(1) lookups
            value = data.get(section)
            if not isinstance(value, dict):
                return {}
            return dict.fromkeys(k for k in value if (section, k) not in reported)

        self.sites = names("sites")
        self.breakouts = names("breakouts")
        self.circuits = names("circuits")
        self.devices = names("devices")
        self.workloads = names("workloads")
        self.workloads.setdefault("default", None)

    def _done(self, path: ObjectPath) -> bool:
        """Whether ``path`` or an ancestor was reported already (its text is not shown)."""
        return bool(self.reported) and any(path[:i] in self.reported for i in range(len(path) + 1))

    def _add(self, code: str, path: ObjectPath, message: str, key: bool = False) -> None:
        if self._done(path):
            return
        loc = self.source.key_where(path) if key else self.source.where(path)
        self.findings.append(Finding(code, Severity.ERROR, message, loc, subject=dotted(path)))

    def _ref(
        self, code: str, path: ObjectPath, value: Any, kind: str, known: dict[str, None]
    ) -> None:
        if isinstance(value, str) and value not in known:
            first = list(known)[:MAX_LISTED]
            listed = f"defined: {', '.join(first)}{', ...' if len(known) > MAX_LISTED else ''}"
            hint = (did_you_mean(value, known) or f" ({listed})") if known else f" (no {kind}s)"
            self._add(code, path, f"{dotted(path)}: undefined {kind} {value!r}{hint}")

    def _catalog(
        self,
        code: str,
        path: ObjectPath,
        value: Any,
        kind: str,
        lookup: Callable[[str], object],
        key: bool = False,
    ) -> None:
        if not isinstance(value, str) or lookup(value) is not None:
            return
        assert self.catalogs is not None
        close = closest(value, _catalog_names(self.catalogs, kind))
        hint = f"; did you mean {close!r}?" if close is not None else " (see `erplan catalog`)"
        self._add(code, path, f"{dotted(path)}: unknown {kind} {value!r}{hint}", key=key)

    def _items(self, section: str) -> Iterator[tuple[str, dict[str, Any]]]:
        value = self.data.get(section)
        if isinstance(value, dict):
            for name, obj in value.items():
                if isinstance(obj, dict):
                    yield name, obj

    def _list(self, obj: dict[str, Any], key: str) -> Iterator[tuple[int, Any]]:
        value = obj.get(key)
        if isinstance(value, list):
            yield from enumerate(value)

    def _silence(self, path: ObjectPath, obj: dict[str, Any]) -> None:
        silence = obj.get("silence")
        if isinstance(silence, dict):
            for code, reason in silence.items():
                if reason is None or (isinstance(reason, str) and not reason.strip()):
                    self._add(
                        "ERP028",
                        (*path, "silence", code),
                        f"{dotted((*path, 'silence', code))}: silencing {code} needs a reason",
                    )

    def _kind(self, path: ObjectPath, name: Any, kind: str) -> None:
        """A reference to a device must name one of that kind."""
        devices = self.data.get("devices")
        if not isinstance(name, str) or not isinstance(devices, dict):
            return
        dev = devices.get(name)
        if isinstance(dev, dict) and dev.get("kind", "firewall") != kind:
            self._add(
                "ERP028",
                path,
                f"{dotted(path)}: device {name!r} is a {dev.get('kind', 'firewall')}, not a {kind}",
            )


def network(value: Any) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(str(value))
    except ValueError:
        return None


def networks(values: Any) -> set[ipaddress.IPv4Network]:
    if not isinstance(values, list):
        return set()
    return {n for n in (network(v) for v in values) if n is not None}


def _catalog_names(catalogs: Catalogs, kind: str) -> list[str]:
    """Every name a catalog lookup of that kind accepts, for a "did you mean"."""
    if kind == "region":
        return [r.region for r in catalogs.regional_communities]
    if kind == "Dynamics 365 region":
        return [r.region for r in catalogs.dynamics_regions]
    if kind == "peering location":
        return [p.name for p in catalogs.peering_locations]
    if kind == "place":
        return catalogs.place_names()
    if kind == "geography":
        return [n for g in catalogs.geographies for n in (g.name, *g.aliases)]
    return [n for svc in catalogs.services for n in (svc.name, *svc.aliases)]
