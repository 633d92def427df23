"""`erplan generate KIND DESIGN [-o DIR]`: the files a rollout deploys, from the design and the
engine's answers (docs/generate.md). Render everything first; write last, atomically."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from erplan.cli import common

_KIND_HELP = (
    "What to generate: frr, nft, ios-xe, junos (customer-edge configuration), az, terraform "
    "(Azure provisioning), tables (connection properties), plan (deployment, test, rollback), "
    "or all."
)


@common.app.command("generate")
def generate_command(
    kind: str = typer.Argument(..., help=_KIND_HELP),
    design: Path = typer.Argument(..., help="The design file (YAML)."),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Directory to write into (made if missing). Default: one text file to standard "
        "output.",
    ),
    fmt: common.Format = typer.Option(common.Format.TEXT, "--format", "-f", help="text or json."),
    endpoints: Path | None = typer.Option(
        None,
        "--endpoints",
        help="A fresh download of the endpoint web service to use instead of the shipped one.",
    ),
) -> None:
    """Generate router configuration, Azure provisioning, connection-property tables or the
    rollout plan; each generator refuses a design that uses what it cannot render."""
    # Imported here: the generators pull in the loader and the engine, which `--help` never needs.
    from erplan.catalogs import load_catalogs, suggest
    from erplan.diagnostics import InputError
    from erplan.generators.registry import ALL, generate, generator, kinds
    from erplan.load import load_design
    from erplan.output import JSON_FORMAT_VERSION, dumps

    if fmt is common.Format.SARIF:
        common.usage_failure("generate supports --format text or json")
    if kind != ALL and generator(kind) is None:
        hint = suggest(kind, [*kinds(), ALL])
        common.usage_failure(
            f"unknown kind {kind!r}"
            + (f"; did you mean {hint!r}?" if hint else "")
            + f" (one of {', '.join([*kinds(), ALL])})"
        )
    try:
        catalogs = load_catalogs(endpoints)
        loaded = load_design(design, catalogs)
    except InputError as err:
        common.input_failure(err)
    outcome = generate(loaded, catalogs, [kind], design.name)
    if kind != ALL and outcome.refused:
        common.input_failure(InputError(next(iter(outcome.refused.values()))))
    if not outcome.artifacts and outcome.refused:
        common.input_failure(InputError([f for v in outcome.refused.values() for f in v]))
    arts = outcome.artifacts
    written: list[Path] = []
    if output is None:
        if fmt is common.Format.TEXT:
            texts = [a for a in arts if isinstance(a.content, str)]
            if len(arts) != 1 or len(texts) != 1:
                common.usage_failure(f"{kind} makes {len(arts)} files: give -o DIR to write them")
            sys.stdout.write(str(texts[0].content))
    else:
        from erplan.generators.writer import OutputRefused, write

        inputs = [design, *([endpoints] if endpoints is not None else [])]
        try:
            written = write(output, arts, inputs)
        except OutputRefused as why:
            common.usage_failure(f"cannot write: {why}")
        except OSError as exc:
            common.usage_failure(f"cannot write into {output}: {exc.strerror or exc}")
    if fmt is common.Format.JSON:
        doc = {
            "erplan": JSON_FORMAT_VERSION,
            "design": design.name,
            "kind": kind,
            "files": [
                {
                    "path": str(output / a.path) if output is not None else None,
                    "kind": a.kind,
                    "bytes": len(a.content if isinstance(a.content, bytes) else a.content.encode()),
                    "content": a.content if output is None and isinstance(a.content, str) else None,
                }
                for a in arts
            ],
            "skipped": {k: [f.to_dict() for f in v] for k, v in outcome.refused.items()},
        }
        sys.stdout.write(dumps(doc))
    elif output is not None:
        for path in written:
            sys.stdout.write(f"{path}\n")
    for k, reasons in outcome.refused.items():
        sys.stderr.write(f"erplan: {k} skipped:\n{InputError(reasons).render()}\n")
    raise common.Exit(common.EXIT_OK)
