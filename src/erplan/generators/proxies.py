"""The proxy a site's PAC names: the site's proxy device (its address and port; a cloud proxy
too), or the legacy ``proxy.address`` text. The upstream of a proxy chain is the first proxy's
business, not the client's: a PAC names only the first one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address

from erplan.diagnostics import Severity
from erplan.engine.ranges import first_host
from erplan.model import Design

_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


@dataclass(frozen=True, slots=True)
class ProxyProblem:
    severity: Severity
    message: str
    path: tuple[str | int, ...]  # the design value to fix


def valid_host(host: str) -> bool:
    """A host name (one label allowed: an intranet name such as ``proxy``) or an IPv4 address."""
    if not host or len(host) > 253:
        return False
    if all(part.isdigit() for part in host.split(".")):
        try:
            IPv4Address(host)
        except ValueError:
            return False
        return True
    return all(_HOST_LABEL.fullmatch(label) for label in host.lower().split("."))


def parse_host_port(text: str) -> tuple[str, int] | None:
    """``host:port`` as a PAC may name a proxy, or None."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isascii() or not port.isdigit() or len(port) > 5:
        return None
    number = int(port)
    if not 1 <= number <= 65535 or not valid_host(host):
        return None
    return host.lower(), number


def proxy_target(design: Design, site: str) -> tuple[str | None, ProxyProblem | None]:
    """``host:port`` of the proxy the site's clients are configured with, and any problem."""
    proxy = design.sites[site].proxy
    if proxy.device is not None:
        dev = design.devices[proxy.device]
        where: tuple[str | int, ...] = ("devices", proxy.device)
        if dev.address is not None:
            return f"{dev.address}:{dev.port}", None
        if dev.egress == "cloud":
            return None, ProxyProblem(
                Severity.ERROR,
                f"the cloud proxy {proxy.device} of site {site} has no address: a PAC file "
                "cannot name it",
                where,
            )
        prefixes = design.sites[dev.site].prefixes
        if not prefixes:
            return None, ProxyProblem(
                Severity.ERROR,
                f"the proxy {proxy.device} of site {site} has no address and its site "
                f"{dev.site} no prefix: a PAC file cannot name it",
                where,
            )
        modelled = IPv4Address(first_host(prefixes[0]))
        return f"{modelled}:{dev.port}", ProxyProblem(
            Severity.WARNING,
            f"the proxy {proxy.device} of site {site} has no address: the PAC file names "
            f"{modelled}, the address erplan models it at",
            where,
        )
    parsed = parse_host_port(proxy.address)
    if parsed is None:
        return None, ProxyProblem(
            Severity.ERROR,
            f"the proxy address {proxy.address!r} of site {site} is not host:port (a host name "
            "or IPv4 address and a port from 1 to 65535): a PAC file cannot name it",
            ("sites", site, "proxy", "address"),
        )
    return f"{parsed[0]}:{parsed[1]}", None
