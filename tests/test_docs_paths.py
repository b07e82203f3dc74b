"""Docs do not rot: every repository path that docs/*.md and README.md mention exists.

A mention is a word starting with core/, io/, tests/, spec/, tla/, bench/ or examples/.
`x/y.attr` (a module and a name in it) must have `x/y.py`; a glob (`tests/test_zk_*.py`) or
a prefix ending in `_` (`tests/test_zk_`) must match at least one file. The check is shown failing on a planted
stale path."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MENTION = re.compile(r"(?<![\w/.-])((?:core|io|tests|spec|tla|bench|examples)/[\w./*-]*[\w*])")


def exists(root: Path, mention: str) -> bool:
    path = mention.rstrip(".")
    if "*" in path:
        return any(root.glob(path))
    if path.endswith("_"):
        return any(root.glob(path + "*"))
    if (root / path).exists():
        return True
    module, _, _attr = path.rpartition(".")  # core/registry.apply -> core/registry.py
    return bool(module) and (root / f"{module}.py").exists()


def stale(root: Path) -> list[str]:
    out = []
    for doc in sorted((root / "docs").glob("*.md")) + [root / "README.md"]:
        for n, line in enumerate(doc.read_text().splitlines(), 1):
            for m in MENTION.finditer(line):
                if not exists(root, m.group(1)):
                    out.append(f"{doc.relative_to(root)}:{n}: {m.group(1)}")
    return out


def test_every_path_in_the_docs_exists() -> None:
    assert stale(ROOT) == []


def test_a_planted_stale_path_is_reported(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "registry.py").write_text("")
    (tmp_path / "README.md").write_text("see core/registry.py and core/registry.apply\n")
    (tmp_path / "docs" / "a.md").write_text("old: `io/master_main.py`; ok: core/registry.py.\n")
    assert stale(tmp_path) == ["docs/a.md:1: io/master_main.py"]
