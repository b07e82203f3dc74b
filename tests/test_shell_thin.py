"""The shell decides nothing: a check that fails when io/ grows protocol state again.

The rule (an AST scan of every module under io/):
1. No name anywhere in io/ whose words (split at "_", any case) include `backoff`, `retry`,
   `retries`, `attempt` or `attempts` is assigned (module constant, class attribute,
   `self.x`, local variable, loop variable) or declared as a function parameter: how often
   and how long to try again is a decision of a machine in core/ (the scheduler driver's
   re-subscription, the agent's master dial, the status-update manager's retries).
2. No `self.<name>` and no module- or class-level name whose words include `state` is
   assigned in io/: a protocol state (subscribed? registered? leading?) lives in a machine,
   and the shell reads it from there.
3. No module of the driver wire (io/wire/) composes a refusal itself: no call there passes
   an integer literal 400..499 (an answer such as "Already subscribed on this connection"
   is the machine's `Reject`/`Respond`, or the codec's `WireError` status). The HTTP
   front-ends (io/http/) answer HTTP-level mistakes (method, Accept, query) themselves and
   are not under this rule.
Attributes of other objects (`ev.task_updated.state = ...` on a protobuf message) are not
ours and are not checked. The allow-list below is explicit and short, each entry with the
reason it is not protocol state; an entry that no longer matches anything fails the test too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMING = re.compile(r"(^|_)(backoff|retry|retries|attempt|attempts)(_|$)", re.IGNORECASE)
STATE = re.compile(r"(^|_)state(_|$)", re.IGNORECASE)

ALLOWED: dict[tuple[str, str], str] = {
    ("io/zk/bridge.py", "state"): "kazoo's session state (CONNECTED/SUSPENDED/LOST) mirrored "
                                  "for Trio tasks; the ZooKeeper session protocol is kazoo's",
    ("io/zk/bridge.py", "state_since"): "when kazoo's session state last changed (same)",
    ("io/zk/bridge.py", "_state_event"): "wakes Trio tasks waiting for kazoo's state (same)",
    ("io/zk/server.py", "attempt"): "starting a local ZooKeeper JVM again on a fresh port "
                                    "when another process took ours (test/dev tooling)",
    ("io/lab/pymesos_framework.py", "state"): "the lab's pymesos workload: an application "
        "built on unchanged pymesos, its own record of its tasks' last states for the "
        "history (pymesos is the driver here; the checker judges it, it decides nothing for "
        "our daemons)",
}


def violations(path: Path, rel: str) -> list[tuple[str, int, str]]:
    """(rel, line, name) of every assignment or parameter in `path` breaking the rule."""
    tree = ast.parse(path.read_text(), filename=rel)
    out: list[tuple[str, int, str]] = []
    module_level = {id(n) for n in tree.body}
    class_level = {id(n) for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for n in c.body}

    def targets(node: ast.AST) -> list[ast.AST]:
        if isinstance(node, ast.Assign):
            return list(node.targets)
        if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
            return [node.target]
        if isinstance(node, (ast.With, ast.AsyncWith)):
            return [i.optional_vars for i in node.items if i.optional_vars is not None]
        if isinstance(node, ast.NamedExpr):
            return [node.target]
        return []

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            for arg in (*a.posonlyargs, *a.args, *a.kwonlyargs):
                if TIMING.search(arg.arg):
                    out.append((rel, node.lineno, arg.arg))
        top = id(node) in module_level or id(node) in class_level
        for t in targets(node):
            for sub in ast.walk(t):
                if isinstance(sub, ast.Name):
                    name = sub.id
                    if TIMING.search(name) or (top and STATE.search(name)):
                        out.append((rel, node.lineno, name))
                elif isinstance(sub, ast.Attribute):
                    name = sub.attr
                    ours = isinstance(sub.value, ast.Name) and sub.value.id == "self"
                    if TIMING.search(name) or (ours and STATE.search(name)):
                        out.append((rel, node.lineno, name))
    return out


REFUSALS_ALLOWED: dict[tuple[str, int], str] = {
    ("io/wire/scheduler_client.py", 401): "the transport's authentication handshake refused "
                                          "the credential (the transport's, not a protocol's)",
}


def refusals(path: Path, rel: str) -> list[tuple[str, int, str]]:
    """(rel, line, "status NNN") of every call in `path` passing a 4xx literal."""
    out: list[tuple[str, int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=rel)):
        if isinstance(node, ast.Call):
            for a in (*node.args, *(k.value for k in node.keywords)):
                if isinstance(a, ast.Constant) and type(a.value) is int and 400 <= a.value < 500:
                    out.append((rel, node.lineno, f"status {a.value}"))
    return out


def scan(root: Path) -> list[tuple[str, int, str]]:
    out = []
    for path in sorted((root / "io").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        found = violations(path, rel)
        if rel.startswith("io/wire/"):
            found += [r for r in refusals(path, rel)
                      if (rel, int(r[2].split()[1])) not in REFUSALS_ALLOWED]
        out += sorted(found)
    return out


def test_io_keeps_no_protocol_state() -> None:
    found = scan(ROOT)
    bad = [f"{rel}:{line}: {name}" for rel, line, name in found if (rel, name) not in ALLOWED]
    assert not bad, "protocol state/retry policy in io/ (move it into a machine in core/):\n" \
        + "\n".join(bad)
    used = {(rel, name) for rel, _line, name in found}
    stale = sorted(set(ALLOWED) - used)
    assert not stale, f"allow-list entries that match nothing any more: {stale}"


def test_the_check_names_a_planted_violation(tmp_path: Path) -> None:
    """A module that grows protocol state again is caught, by file, line and name."""
    mod = tmp_path / "io" / "daemons" / "planted.py"
    mod.parent.mkdir(parents=True)
    mod.write_text(
        "RESUBSCRIBE_BACKOFF = 0.05\n"
        "class Link:\n"
        "    state = 'idle'\n"
        "    def __init__(self, peer):\n"
        "        self.sub_state = 'subscribing'\n"
        "        self.retries = 0\n"
        "        peer.state = 'not ours'\n"
        "    async def dial(self, max_attempts=3):\n"
        "        for attempt in range(max_attempts):\n"
        "            state = 'a local: fine'\n"
        "            retry_at = attempt * 2\n"
    )
    assert scan(tmp_path) == [
        ("io/daemons/planted.py", 1, "RESUBSCRIBE_BACKOFF"),
        ("io/daemons/planted.py", 3, "state"),
        ("io/daemons/planted.py", 5, "sub_state"),
        ("io/daemons/planted.py", 6, "retries"),
        ("io/daemons/planted.py", 8, "max_attempts"),
        ("io/daemons/planted.py", 9, "attempt"),
        ("io/daemons/planted.py", 11, "retry_at"),
    ]


def test_the_check_names_a_refusal_the_wire_composes_itself(tmp_path: Path) -> None:
    """The agent driver's old "Already subscribed" answer, planted back: caught."""
    mod = tmp_path / "io" / "wire" / "planted.py"
    mod.parent.mkdir(parents=True)
    mod.write_text(
        "class Driver:\n"
        "    def frame(self, link, conn, call):\n"
        "        if conn is not None:\n"
        "            self._refused(link, 400, 'Already subscribed on this connection', 'SUBSCRIBE')\n"
        "        self._refused(link, call.status, call.message, 'X')\n"
    )
    (tmp_path / "io" / "http").mkdir()
    (tmp_path / "io" / "http" / "front.py").write_text("respond(send, 405, 'Expecting POST')\n")
    assert scan(tmp_path) == [("io/wire/planted.py", 4, "status 400")]
