"""The code's shape (issue 9 item 8): no module over 500 lines, no engine class over 300."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "erplan"
MODULE_LINES = 500
ENGINE_CLASS_LINES = 300


def _long_modules(root: Path, limit: int) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > limit:
            out.append(f"{path.relative_to(root)}: {n} lines")
    return out


def _long_classes(root: Path, limit: int) -> list[str]:
    """Every class (nested ones too) longer than ``limit`` lines, decorators included."""
    out = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                assert node.end_lineno is not None
                n = node.end_lineno - first + 1
                if n > limit:
                    out.append(f"{path.relative_to(root)}: class {node.name}: {n} lines")
    return out


def test_no_module_is_over_500_lines() -> None:
    assert _long_modules(SRC, MODULE_LINES) == []


def test_no_engine_class_is_over_300_lines() -> None:
    assert _long_classes(SRC / "engine", ENGINE_CLASS_LINES) == []


def test_the_measure_counts_a_class_whole(tmp_path: Path) -> None:
    """A class is measured from its first decorator to its last line, inner classes apart."""
    body = "\n".join(f"    x{i} = {i}" for i in range(8))
    inner = "\n".join(f"        y{i} = {i}" for i in range(3))
    (tmp_path / "m.py").write_text(
        f"import dataclasses\n\n\n@dataclasses.dataclass\nclass Outer:\n{body}\n"
        f"    class Inner:\n{inner}\n",
        encoding="utf-8",
    )
    # Outer: decorator, header, 8 lines, Inner's 4 = 14; Inner: 4.
    assert _long_classes(tmp_path, 13) == ["m.py: class Outer: 14 lines"]
    assert _long_classes(tmp_path, 3) == [
        "m.py: class Outer: 14 lines",
        "m.py: class Inner: 4 lines",
    ]
    assert _long_classes(tmp_path, 14) == []
    assert _long_modules(tmp_path, 16) == ["m.py: 17 lines"]
