"""A site's PAC file, in the structure of guide 000 §2.2: the names its clients reach over
ExpressRoute return DIRECT, everything else the site's proxy.

Entries are tested most specific first, so an internet-only name under an ExpressRoute wildcard
(``cdn.odc.officeapps.live.com`` under ``*.officeapps.live.com``) is sent to the proxy before
the wildcard sends it DIRECT (FACTS §3.4, "PAC order for ER"). Every string written comes from
a validated host pattern or a validated proxy address and is escaped again for JavaScript;
comments hold printable ASCII only. Render only: writing is the caller's (``write_atomic``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from erplan.generators.decisions import Name, Plan, SitePlan
from erplan.generators.modes import Mode
from erplan.generators.names import comment, js_string
from erplan.model import ProxyMode

_MODES = {
    Mode.OPTIMIZE: "optimize: only Optimize names may go DIRECT (like Get-PacFile Type 1)",
    Mode.ALLOW: "allow: Optimize and Allow names may go DIRECT (like Get-PacFile Type 2)",
    Mode.ALL: "all: names of every category may go DIRECT",
}
_STEM = re.compile(r"[^A-Za-z0-9._-]+")


def file_stems(sites: Iterable[str]) -> dict[str, str]:
    """A file name stem per site: safe characters only, never hidden, never shared."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for site in sites:
        base = _STEM.sub("_", site).lstrip(".") or "site"
        stem, n = base, 1
        while stem.lower() in used:
            n += 1
            stem = f"{base}-{n}"
        used.add(stem.lower())
        out[site] = stem
    return out


def condition(n: Name) -> str:
    """The JavaScript condition that is true for exactly the hosts the pattern covers."""
    if n.pattern.partial:
        return f"/{n.pattern.regex()}/.test(h)"
    return f"shExpMatch(h, {js_string(n.pattern.text)})"


def header(plan: Plan, site: SitePlan, date: str) -> list[str]:
    d = plan.design
    title = f"{plan.file}" + (f", {d.name!r}" if d.name else "")
    circuits = ", ".join(site.circuits) or "none"
    lines = [
        f"PAC file of site {site.site!r}, written by erplan pac",
        f"design: {title}",
        f"endpoint catalog: {plan.catalog}",
        f"date: {date}",
        f"mode: {_MODES[plan.mode]}",
        f"DIRECT: the names whose connections from this site leave by ExpressRoute (circuits: "
        f"{circuits}) and work, as erplan's flow engine traces them;",
        "  every other name goes to the site's proxy (guide 000 section 2.2, Figure 3).",
    ]
    if d.sites[site.site].proxy.mode is ProxyMode.ALL:
        lines.append("the design sends every web connection of this site through its proxy")
        lines.append("  (proxy.mode: all, e.g. guide 000 Figure 5): no name goes DIRECT.")
    if d.tenant.name:
        lines.append(f"tenant: {d.tenant.name}")
    return ["// " + comment(line) for line in lines]


def render_pac(plan: Plan, site: SitePlan, date: str) -> str:
    """The PAC file text of one site."""
    out = header(plan, site, date)
    out += [
        "function FindProxyForURL(url, host) {",
        "  var h = String(host).toLowerCase();",
        '  if (h.length > 0 && h.charAt(h.length - 1) == ".") {',
        "    h = h.substring(0, h.length - 1);",
        "  }",
        f"  var proxy = {js_string(site.proxy)};",
    ]
    for n in site.names:
        if not n.keep:
            continue
        answer = '"DIRECT"' if n.direct else "proxy"
        origin = "" if n.origin == "catalog" else f"{n.origin} name; "
        out.append(f"  // {comment(origin + n.note)}")
        out.append(f"  if ({condition(n)}) {{ return {answer}; }}")
    out.append("  return proxy;")
    out.append("}")
    return "\n".join(out) + "\n"
