"""The loader's bounds and its input-problem codes (``ERP0xx``).

The codes are stable and documented: ``docs/design-format.md`` and ``docs/rules.md`` are
generated from this table, and ``erplan explain`` reads it.
"""

from __future__ import annotations

from erplan.untrusted import MAX_LENGTH, TextKind

MAX_BYTES = 8 * 1024 * 1024  # a 10,000-site design is about 2.5 MB
MAX_DEPTH = 64  # the format nests 4 deep; anything far deeper is junk or an attack
MAX_ALIAS_NODES = 1_000_000  # nodes after alias expansion ("billion laughs" guard)

# code -> (name, summary)
CODES: dict[str, tuple[str, str]] = {
    "ERP001": (
        "unreadable-file",
        "The design file cannot be read (missing, a directory, a FIFO or device, denied).",
    ),
    "ERP002": ("file-too-large", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB."),
    "ERP003": (
        "not-text",
        "The file is not UTF-8 text (NUL bytes, invalid UTF-8, control characters).",
    ),
    "ERP004": (
        "malformed-yaml",
        "The YAML cannot be parsed; the parser's message and position are given.",
    ),
    "ERP005": (
        "not-a-design",
        "The file is empty, holds several YAML documents, or its top level is not a mapping.",
    ),
    "ERP006": ("duplicate-key", "A key appears twice in one mapping (both positions are given)."),
    "ERP007": (
        "unsafe-yaml",
        "An unsupported tag, a non-scalar key, nesting deeper than "
        f"{MAX_DEPTH} levels, or aliases expanding beyond {MAX_ALIAS_NODES:,} nodes.",
    ),
    "ERP008": (
        "format-version",
        "The `erplan` format version is missing or not one this "
        "erplan reads; nothing else is checked.",
    ),
    "ERP010": ("unknown-key", "A key the format does not define (with the closest known key)."),
    "ERP011": ("missing-key", "A required key is absent."),
    "ERP012": (
        "wrong-type",
        "A value of the wrong type (text for a number, a scalar for a list, ...).",
    ),
    "ERP013": (
        "bad-address",
        "An IPv4 address or prefix that does not parse, or a prefix with host bits set.",
    ),
    "ERP014": (
        "out-of-range",
        "A number outside its allowed range, or a value not among the allowed choices.",
    ),
    "ERP015": (
        "not-finite",
        "A number that is not finite (`.inf`, `.nan`, or too large to represent, such as `1e400`).",
    ),
    "ERP016": (
        "bad-text",
        "A name, DNS name or text holding characters it may not hold. Names (of objects, and "
        "references to them and to the catalogs) are printable text on one line without "
        "leading or trailing spaces, at most "
        f"{MAX_LENGTH[TextKind.NAME]} characters (every output escapes them for where they "
        "go); an FQDN is DNS labels; free text (`name`, "
        "`description`, silence reasons) is any printable text. Control characters (escape "
        "sequences, CR/LF in one-line text) and bidi overrides are refused everywhere.",
    ),
    "ERP020": ("undefined-site", "A reference to a site that `sites` does not define."),
    "ERP021": ("undefined-breakout", "A reference to a breakout that `breakouts` does not define."),
    "ERP022": (
        "undefined-entry",
        "An entry path or inbound SNAT key that is neither `internet`, "
        "`expressroute`, a circuit nor a breakout.",
    ),
    "ERP023": ("undefined-device", "A reference to a device that `devices` does not define."),
    "ERP024": (
        "unknown-peering-location",
        "A peering location Microsoft does not list (see `erplan catalog`).",
    ),
    "ERP025": (
        "unknown-place",
        "A site location that is neither a known city or peering location nor {lat, lon}.",
    ),
    "ERP026": ("unknown-geography", "A tenant or initiator geography erplan does not know."),
    "ERP027": ("unknown-service", "A route-filter service or service area erplan does not know."),
    "ERP028": (
        "inconsistent",
        "Values that contradict each other: a prepend for a prefix the "
        "circuit does not advertise, a WAN link joining a site to itself, a circuit and a "
        "breakout with the same name, an empty silence reason.",
    ),
    "ERP029": (
        "undefined-workload",
        "A site's workload profile that `workloads` does not define.",
    ),
    "ERP030": (
        "stage-plan",
        "A rollout plan (`erplan stages --plan`) that cannot be applied: a wrong type, a path "
        "that leads nowhere, or a step whose design is not valid.",
    ),
    "ERP040": (
        "unknown-region",
        "A `region_preference` key that is not an Azure region with a regional BGP community "
        "(see `erplan catalog regional-communities`).",
    ),
    "ERP041": (
        "unknown-dynamics-region",
        "A `tenant.dynamics` key that is not an Azure region hosting Dynamics 365 "
        "(see `erplan catalog dynamics`).",
    ),
    "ERP042": (
        "dynamics-prefix-overlap",
        "A Dynamics 365 prefix of `tenant.dynamics` that overlaps an address of the design "
        "itself (a site prefix, NAT pool, advertisement or peer subnet) or another region's: "
        "Microsoft's prefixes and the customer's are disjoint.",
    ),
}
