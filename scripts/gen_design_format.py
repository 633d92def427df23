"""Regenerate docs/design-format.md from the model and the loader (a test fails when stale)."""

from __future__ import annotations

from pathlib import Path

from erplan.design_format import markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "design-format.md"


def main() -> None:
    DOC.write_text(markdown(), encoding="utf-8")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
