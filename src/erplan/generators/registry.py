"""The table of generators behind ``erplan generate KIND``: what each writes, which tool
consumes (and checks) it, and which design features it renders. A generator refuses a design
that uses a feature it does not declare, with the feature's position in the file, instead of
dropping it silently. Rendering returns files; writing is the caller's (``writer.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from erplan.catalogs import Catalogs
from erplan.diagnostics import Finding, Severity
from erplan.generators.edge import ALL_FEATURES, CircuitEdge, Feature, Missing, circuit_edge
from erplan.generators.safe import ident, names_refused
from erplan.model import Design

if TYPE_CHECKING:
    from erplan.analyses.verdicts import LoadedLike, Report
    from erplan.engine import Engine

CODE_UNSUPPORTED = "ERP910"
CODE_MISSING = "ERP911"
CODE_NAME = "ERP912"


@dataclass(frozen=True, slots=True)
class Artifact:
    """One file to write: a path relative to the output directory and its content."""

    path: str
    content: str | bytes
    kind: str


class Context:
    """What the generators render from, each part built once and only when asked for."""

    def __init__(self, loaded: LoadedLike, catalogs: Catalogs, file: str) -> None:
        self.loaded = loaded
        self.design: Design = loaded.design
        self.catalogs = catalogs
        self.file = file
        self.missing: list[Finding] = []

    @cached_property
    def edges(self) -> dict[str, CircuitEdge]:
        """Every circuit's customer edge (those the design describes fully)."""
        out: dict[str, CircuitEdge] = {}
        for name in self.design.circuits:
            try:
                out[name] = circuit_edge(self.design, self.catalogs, name)
            except Missing as why:
                self.missing.append(
                    Finding(
                        CODE_MISSING,
                        Severity.ERROR,
                        why.message,
                        self.loaded.source.where(why.path),
                        subject=f"circuits.{name}",
                    )
                )
        return out

    @cached_property
    def engine(self) -> Engine:
        from erplan.engine import Engine

        return Engine(self.design, self.catalogs)

    @cached_property
    def report(self) -> Report:
        from erplan.analyses.verdicts import verify

        return verify(self.loaded, self.catalogs)


Render = Callable[[Context], list[Artifact]]


@dataclass(frozen=True)
class Generator:
    kind: str
    writes: str
    checked_by: str
    supports: frozenset[Feature]
    render: Render
    needs_edges: bool = True
    aliases: tuple[str, ...] = field(default=())


# -- the renderers, each importing its dialect only when it runs ------------------------------


def _per_edge(ctx: Context, folder: str, suffix: str, kind: str) -> list[Artifact]:
    out = []
    for edge in ctx.edges.values():
        if kind == "frr":
            from erplan.generators import frr

            out.append(Artifact(f"{folder}/{edge.ident}{suffix}", frr.render(edge, ctx.file), kind))
        elif kind == "nft":
            from erplan.generators import nft

            for stem, text in nft.render(edge, ctx.file).items():
                out.append(Artifact(f"{folder}/{stem}{suffix}", text, kind))
        elif kind == "ios-xe":
            from erplan.generators import iosxe

            text = iosxe.render(edge, ctx.file)
            out.append(Artifact(f"{folder}/{edge.ident}{suffix}", text, kind))
        elif kind == "junos":
            from erplan.generators import junos

            text = junos.render(edge, ctx.file)
            out.append(Artifact(f"{folder}/{edge.ident}{suffix}", text, kind))
    return out


def _frr(ctx: Context) -> list[Artifact]:
    return _per_edge(ctx, "frr", ".conf", "frr")


def _nft(ctx: Context) -> list[Artifact]:
    return _per_edge(ctx, "nftables", ".nft", "nft")


def _iosxe(ctx: Context) -> list[Artifact]:
    return _per_edge(ctx, "ios-xe", ".cfg", "ios-xe")


def _junos(ctx: Context) -> list[Artifact]:
    return _per_edge(ctx, "junos", ".conf", "junos")


def _az(ctx: Context) -> list[Artifact]:
    from erplan.generators import azure

    return [
        Artifact(f"azure/{edge.ident}.sh", azure.render_cli(ctx.design, edge, ctx.file), "az")
        for edge in ctx.edges.values()
    ]


def _terraform(ctx: Context) -> list[Artifact]:
    from erplan.generators import azure

    if not ctx.edges:
        return []
    text = azure.render_terraform(ctx.design, list(ctx.edges.values()), ctx.file)
    return [Artifact("terraform/microsoft-peering.tf", text, "terraform")]


def _tables(ctx: Context) -> list[Artifact]:
    from erplan.generators import tables

    rows = tables.connection_tables(ctx.design, ctx.catalogs, ctx.report)
    return [
        Artifact("tables/connection-properties.md", tables.render_markdown(rows, ctx.file), "md"),
        Artifact("tables/connection-properties.csv", tables.render_csv(rows), "csv"),
        Artifact("tables/connection-properties.xlsx", tables.render_xlsx(rows), "xlsx"),
    ]


def _plan(ctx: Context) -> list[Artifact]:
    from erplan.generators import rollout

    plan = rollout.build(ctx)
    return [
        Artifact("plan/rollout.md", rollout.render_markdown(plan), "md"),
        Artifact("plan/rollout.json", rollout.render_json(plan), "json"),
        Artifact("plan/stages.yaml", rollout.render_stages(plan), "yaml"),
    ]


ROUTER_FEATURES = ALL_FEATURES - {Feature.STATIC_NAT}
VENDOR_FEATURES = ROUTER_FEATURES - {Feature.NAT_DEVICE}

# The table: one row per generator, in the order `all` runs them.
GENERATORS: tuple[Generator, ...] = (
    Generator("frr", "frr/<circuit>.conf", "vtysh --dryrun -f", ROUTER_FEATURES, _frr),
    Generator(
        "nft",
        "nftables/<circuit>[.<device>].nft",
        "nft -c -f",
        ROUTER_FEATURES,
        _nft,
        aliases=("nftables",),
    ),
    Generator("ios-xe", "ios-xe/<circuit>.cfg", "ciscoconfparse2", VENDOR_FEATURES, _iosxe),
    Generator("junos", "junos/<circuit>.conf", "junoscfg (schema)", VENDOR_FEATURES, _junos),
    Generator("az", "azure/<circuit>.sh", "azure-cli's parser", ALL_FEATURES, _az),
    Generator(
        "terraform",
        "terraform/microsoft-peering.tf",
        "python-hcl2 + azurerm arguments",
        ALL_FEATURES,
        _terraform,
    ),
    Generator(
        "tables",
        "tables/connection-properties.{md,csv,xlsx}",
        "openpyxl",
        ALL_FEATURES,
        _tables,
        needs_edges=False,
    ),
    Generator(
        "plan",
        "plan/rollout.{md,json}",
        "erplan's engine",
        ALL_FEATURES,
        _plan,
        needs_edges=False,
    ),
)
ALL = "all"


def generator(kind: str) -> Generator | None:
    for g in GENERATORS:
        if kind == g.kind or kind in g.aliases:
            return g
    return None


def kinds() -> list[str]:
    return [g.kind for g in GENERATORS]


def name_problems(ctx: Context) -> list[Finding]:
    """ERP912: names that no generated file may carry."""
    return [
        Finding(
            CODE_NAME,
            Severity.ERROR,
            f"{'.'.join(map(str, path[:-1]))} name {name!r} holds a control character or is "
            "blank: no generated file can carry it",
            ctx.loaded.source.where(path),
        )
        for path, name in names_refused(ctx.design)
    ]


def refusals(gen: Generator, ctx: Context) -> list[Finding]:
    """Why ``gen`` cannot render this design: features it does not support (ERP910) and
    values the configuration cannot do without (ERP911)."""
    if not gen.needs_edges:
        return []
    edges = ctx.edges
    out = list(ctx.missing)
    for edge in edges.values():
        for use in edge.uses:
            if use.feature not in gen.supports:
                out.append(
                    Finding(
                        CODE_UNSUPPORTED,
                        Severity.ERROR,
                        f"erplan generate {gen.kind} does not render {use.what} "
                        f"({use.feature.value}), which circuit {edge.circuit!r} uses",
                        ctx.loaded.source.where(use.path),
                        subject=f"circuits.{edge.circuit}",
                    )
                )
    return list({(f.code, f.message, f.location): f for f in out}.values())


@dataclass
class Outcome:
    artifacts: list[Artifact]
    refused: dict[str, list[Finding]]  # kind -> why it was skipped (with `all`)


def generate(loaded: LoadedLike, catalogs: Catalogs, kinds: list[str], file: str) -> Outcome:
    """Render every asked generator. With one kind, a refusal is an input error (raised by
    the caller from ``refused``); with ``all``, refused generators are skipped and listed."""
    ctx = Context(loaded, catalogs, file)
    gens = list(GENERATORS) if ALL in kinds else [g for k in kinds if (g := generator(k))]
    refused: dict[str, list[Finding]] = {}
    names = name_problems(ctx)
    if names:
        return Outcome([], {g.kind: names for g in gens})
    artifacts: list[Artifact] = []
    for g in gens:
        why = refusals(g, ctx)
        if why:
            refused[g.kind] = why
            continue
        artifacts.extend(g.render(ctx))
    return Outcome(artifacts, refused)


def stem(name: str) -> str:
    """The file-name stem of a design object (safe on every file system)."""
    return ident(name, limit=40)
