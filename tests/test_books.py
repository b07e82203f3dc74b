"""Each module that adds behaviour to a machine says at its top which of the machine's books
(state attributes) it reads and which it writes, and this test keeps that true.

The two lines, in the module docstring:

    Books read: a, b, c.
    Books written: b.

(`none.` when empty). The books of a machine are the attributes its constructor sets
(`__init__`/`_reset` of the machine class: Master/MasterCore, Agent/AgentCore, Allocator,
SchedulerDriver; the attrs fields of TaskStatusUpdateManager). What a module reads and
writes is computed from its code: `self.<book>` in the methods of the machine's classes and
mixins (a class named `*Mixin`, or the machine's own), and `al.<book>` in module functions
that take the allocator as `al`, outside the constructor. Written: the book itself is
assigned, augmented, deleted, item-assigned, or mutated in place (append, pop, update, ...)
by this module's code; read: any use, writes included. A change made through a helper method
defined in another module, or to a record held in a book (`self._agents[a].offers`), counts
there, or as a read of the book here. The declared lines must equal the computed sets.

core/executor.py is the executor machine's and belongs to issue 11's change (its engineer
moves the executor's subscription state into it): TEMPORARY exemption, the lead adds its lines
at merge.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MUTATORS = {"append", "extend", "pop", "popitem", "clear", "update", "add", "discard", "remove",
            "setdefault", "insert", "sort", "appendleft", "popleft"}
MACHINES = {  # module group -> (the machine's classes, where its books are set)
    "core/master": ({"Master", "MasterCore"}, ["core/master/base.py", "core/master/machine.py"]),
    "core/agent": ({"Agent", "AgentCore"}, ["core/agent/base.py", "core/agent/machine.py"]),
    "core/allocator": ({"Allocator"}, ["core/allocator/machine.py"]),
    "core/scheduler.py": ({"SchedulerDriver"}, ["core/scheduler.py"]),
    "core/status_updates.py": ({"TaskStatusUpdateManager"}, ["core/status_updates.py"]),
}
EXEMPT: dict[str, str] = {}
CONSTRUCTORS = {"__init__", "_reset"}


def modules() -> list[tuple[str, str]]:
    """(module path, group) of every module that must carry the lines."""
    out = []
    for group in MACHINES:
        p = ROOT / group
        files = sorted(p.glob("*.py")) if p.is_dir() else [p]
        out += [(f.relative_to(ROOT).as_posix(), group) for f in files if f.name != "__init__.py"]
    return out


def books(group: str) -> set[str]:
    classes, files = MACHINES[group]
    out: set[str] = set()
    for f in files:
        tree = ast.parse((ROOT / f).read_text())
        for cls in ast.walk(tree):
            if not (isinstance(cls, ast.ClassDef) and cls.name in classes):
                continue
            for node in cls.body:
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                        and node.value is not None:  # an attrs field
                    out.add(node.target.id)
                if isinstance(node, ast.FunctionDef) and node.name in CONSTRUCTORS:
                    for n in ast.walk(node):
                        if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) \
                                and isinstance(n.value, ast.Name) and n.value.id == "self":
                            out.add(n.attr)
    return out


def usage(path: str, group: str) -> tuple[set[str], set[str]]:
    """(read, written) books of the machine in module `path`."""
    known = books(group)
    classes = MACHINES[group][0]
    tree = ast.parse((ROOT / path).read_text())
    bodies: list[tuple[ast.AST, str]] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and (node.name in classes or node.name.endswith("Mixin")):
            bodies += [(f, "self") for f in node.body
                       if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                       and f.name not in CONSTRUCTORS]
        elif isinstance(node, ast.FunctionDef) and node.args.args and node.args.args[0].arg == "al":
            bodies.append((node, "al"))
    read: set[str] = set()
    written: set[str] = set()
    for body, owner in bodies:
        parents = {c: n for n in ast.walk(body) for c in ast.iter_child_nodes(n)}
        for n in ast.walk(body):
            if not (isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                    and n.value.id == owner and n.attr in known):
                continue
            read.add(n.attr)
            p = parents.get(n)
            if isinstance(n.ctx, (ast.Store, ast.Del)) \
                    or (isinstance(p, ast.Subscript) and p.value is n
                        and isinstance(p.ctx, (ast.Store, ast.Del))) \
                    or (isinstance(p, ast.Attribute) and p.value is n and p.attr in MUTATORS
                        and isinstance(parents.get(p), ast.Call)) \
                    or (isinstance(p, ast.AugAssign) and p.target is n):
                written.add(n.attr)
    return read, written


def declared(path: str) -> tuple[set[str] | None, set[str] | None]:
    doc = ast.get_docstring(ast.parse((ROOT / path).read_text())) or ""

    def line(label: str) -> set[str] | None:
        m = re.search(rf"^Books {label}: (.*?)\.$", doc, flags=re.MULTILINE | re.DOTALL)
        if m is None:
            return None
        text = " ".join(m.group(1).split())
        return set() if text == "none" else {w.strip("` ") for w in text.split(",")}

    return line("read"), line("written")


def lines_for(path: str, group: str) -> str:
    """The two docstring lines `path` must carry (wrapped at 96 columns)."""
    import textwrap

    read, written = usage(path, group)
    out = []
    for label, names in (("read", read), ("written", written)):
        text = f"Books {label}: " + (", ".join(f"`{n}`" for n in sorted(names)) or "none") + "."
        out.append(textwrap.fill(text, width=96, subsequent_indent="  "))
    return "\n".join(out)


def test_every_machine_module_declares_its_books_truly() -> None:
    wrong = []
    for path, group in modules():
        if path in EXEMPT:
            continue
        read, written = usage(path, group)
        d_read, d_written = declared(path)
        if (d_read, d_written) != (read, written):
            wrong.append(f"{path}: declared read={sorted(d_read) if d_read is not None else None} "
                         f"written={sorted(d_written) if d_written is not None else None}; the "
                         f"code reads {sorted(read)} and writes {sorted(written)}; expected:\n"
                         f"{lines_for(path, group)}")
    assert not wrong, "\n\n".join(wrong)


def test_the_check_sees_a_module_that_lies(tmp_path, monkeypatch) -> None:
    """A planted module whose lines omit a write is reported."""
    mod = tmp_path / "core" / "scheduler.py"
    mod.parent.mkdir()
    mod.write_text('"""A driver.\n\nBooks read: `state`.\nBooks written: none.\n"""\n'
                   "class SchedulerDriver:\n"
                   "    def __init__(self):\n        self.state = 'a'\n"
                   "    def step(self):\n        self.state = 'b'\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    monkeypatch.setitem(globals(), "MACHINES", {"core/scheduler.py": MACHINES["core/scheduler.py"]})
    assert usage("core/scheduler.py", "core/scheduler.py") == ({"state"}, {"state"})
    assert declared("core/scheduler.py") == ({"state"}, set())
    with pytest.raises(AssertionError, match=r"core/scheduler.py: declared read=\['state'\] "
                                             r"written=\[\]; the code reads \['state'\] and "
                                             r"writes \['state'\]"):
        test_every_machine_module_declares_its_books_truly()
