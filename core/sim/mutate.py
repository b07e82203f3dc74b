"""A mutation campaign with the simulator as the only judge (`make mutate`).

Mutation operators of our own over the AST of the modules that carry the protocols
(core/status_updates.py, core/lifecycle.py, core/master/, core/agent/, core/allocator/):

| operator | what it does |
| --- | --- |
| `cmp` | swaps a comparison: `<`/`<=`, `>`/`>=`, `==`/`!=`, `in`/`not in`, `is`/`is not` |
| `arith` | swaps `+`/`-` (binary and augmented) |
| `bool` | swaps `and`/`or` |
| `not` | drops a `not` |
| `const` | flips `True`/`False`; adds 1 to an integer literal in 0..1000 |
| `stmt` | deletes a statement (an expression call, an assignment, an augmented assignment) |
| `cond` | negates the test of an `if` |

A mutant is applied in a forked child process: the enclosing function is recompiled from
the mutated module source and its live function object gets the new `__code__` (so every
reference to it, imported by name or not, runs the mutant); a mutant in a top-level
assignment (a table such as `lifecycle.TRANSITIONS`) re-executes the mutated module in a
fresh namespace and rebinds the assigned names in the live module. Mutants elsewhere at
module or class level are not generated.

Sampling: a mutant's `key` names it without line numbers (file, function, operator, the
mutated code, occurrence), and the sample is the `--sample` mutants whose keys hash lowest
under `--seed`: editing one function changes only that function's mutants.

Judging (the simulator only, no unit test): each mutant runs the same bounded set of
simulations (seeds x events, all faults; plus `Judge.operator_runs` runs of the allocator's
production path judged against its reference cycle, with operator traffic and a reserving
framework); it is KILLED when a run reports a violation of the
invariant catalog / total queue, raises (a machine crashed), or exceeds its CPU-time
budget (CPU time: an infinite loop). A mutant that is not killed SURVIVED if some run's
observable digest (the deterministic summary lines: events, virtual time, tasks, faults,
checks, queue, shares, and the world's counters) differs from the unmutated code's, else it
is UNCHANGED (nothing these runs could see changed: a real equivalent or a blind spot). A
mutant listed in core/sim/equivalents.py (reviewed by hand, each with its reason) and not
killed is EQUIVALENT. Mutants whose function never ran in the unmutated runs are UNREACHED
(not run, and counted against the rate). The kill rate is killed / (killed + survived +
unchanged + unreached) since s12; s11's killed / (killed + survived + unchanged) and the first
campaign's proxy killed / (killed + survived) are reported beside it. `--rerun REPORT` judges again only
the mutants of an earlier report with the given verdicts (drawn or not by today's sample,
whose cut moves as the code grows) and merges their new results; `--paths` restricts a
campaign or a re-judgement to some files or folders (the others keep their old verdicts).

Everything is seeded: the same options give the same mutants and verdicts (timeouts aside).
"""

from __future__ import annotations

import argparse
import ast
import gc
import hashlib
import importlib
import json
import multiprocessing
import sys
import time
import types
from pathlib import Path
from typing import Any

import attrs

CORE = Path(__file__).resolve().parents[1]
TARGETS = ("status_updates.py", "lifecycle.py", "master", "agent", "allocator")


@attrs.frozen(kw_only=True)
class Mutant:
    module: str  # dotted name, e.g. mesotron.core.master.offers
    path: str  # relative to core/
    index: int  # position of the mutated node in ast.walk order
    op: str
    variant: int  # which alternative of the operator
    line: int
    scope: str  # qualname of the enclosing top-level function/method, or "<module>:NAME"
    text: str  # human description
    snippet: str = ""  # the mutated code (first line, shortened)
    occurrence: int = 0  # how many earlier mutants share path, scope, op, text and snippet

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}:{self.op}{self.variant}@{self.index}"

    @property
    def key(self) -> str:
        """A name that survives edits elsewhere in the file (no line number, no node index):
        the sample and the reviewed list of equivalent mutants use it."""
        return (f"{self.path}::{self.scope}::{self.op}:{self.text}::{self.snippet}"
                f"#{self.occurrence}")


_CMP_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
             ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
             ast.Is: ast.IsNot, ast.IsNot: ast.Is}


def target_files() -> list[Path]:
    out: list[Path] = []
    for t in TARGETS:
        p = CORE / t
        if p.is_dir():
            out += sorted(x for x in p.glob("*.py") if x.name != "__init__.py")
        else:
            out.append(p)
    return out


def module_name(path: Path) -> str:
    rel = path.relative_to(CORE).with_suffix("")
    return "mesotron.core." + ".".join(rel.parts)


# ---------------------------------------------------------------------------- discovery
def _scopes(tree: ast.Module) -> dict[int, str]:
    """id(node) -> scope for every node inside a mutable scope."""
    out: dict[int, str] = {}

    def mark(node: ast.AST, scope: str) -> None:
        for sub in ast.walk(node):
            out[id(sub)] = scope

    for top in tree.body:
        if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)):
            mark(top, top.name)
        elif isinstance(top, ast.ClassDef):
            for item in top.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    mark(item, f"{top.name}.{item.name}")
        elif isinstance(top, ast.Assign) and all(isinstance(t, ast.Name) for t in top.targets):
            names = ",".join(t.id for t in top.targets if isinstance(t, ast.Name))
            mark(top, f"<module>:{names}")
    return out


def _alternatives(node: ast.AST, parents: dict[int, ast.AST]) -> list[tuple[str, str]]:
    """(operator, description) alternatives for one node."""
    out: list[tuple[str, str]] = []
    t = type(node)
    if t is ast.Compare:
        for i, o in enumerate(node.ops):  # type: ignore[attr-defined]
            if type(o) in _CMP_SWAP:
                out.append(("cmp", f"{type(o).__name__}->{_CMP_SWAP[type(o)].__name__} #{i}"))
    elif t is ast.BinOp and type(node.op) in (ast.Add, ast.Sub):  # type: ignore[attr-defined]
        out.append(("arith", "+<->-"))
    elif t is ast.AugAssign and type(node.op) in (ast.Add, ast.Sub):  # type: ignore[attr-defined]
        out.append(("arith", "+=<->-="))
    elif t is ast.BoolOp:
        out.append(("bool", "and<->or"))
    elif t is ast.UnaryOp and type(node.op) is ast.Not:  # type: ignore[attr-defined]
        out.append(("not", "drop not"))
    elif t is ast.Constant:
        v = node.value  # type: ignore[attr-defined]
        if v is True or v is False:
            out.append(("const", f"{v}->{not v}"))
        elif type(v) is int and 0 <= v <= 1000:
            out.append(("const", f"{v}->{v + 1}"))
    elif t is ast.If:
        out.append(("cond", "negate if"))
    if t in (ast.Assign, ast.AugAssign, ast.AnnAssign) or (
            t is ast.Expr and isinstance(node.value, ast.Call)):  # type: ignore[attr-defined]
        p = parents.get(id(node))
        if p is not None and not isinstance(p, (ast.Module, ast.ClassDef)):
            out.append(("stmt", "delete statement"))
    return out


def _snippet(node: ast.AST) -> str:
    if isinstance(node, ast.If):
        text = "if " + ast.unparse(node.test)
    else:
        text = ast.unparse(node).split("\n", 1)[0]
    text = " ".join(text.split())
    return text if len(text) <= 72 else text[:69] + "..."


def discover() -> list[Mutant]:
    out: list[Mutant] = []
    for path in target_files():
        out += discover_source(str(path.relative_to(CORE)), module_name(path), path.read_text())
    return out


# s17 killa: functions of the target modules that are not protocol code: no daemon (core/,
# io/, spec/) and no machine calls them; they are the docs generator's renderers and the
# unit tests' reference models (tests/test_lifecycle.py, tests/test_status_updates.py), so
# a mutant of them cannot change what any process does. The protocol's own uses of these
# modules stay in scope (lifecycle.is_legal, TRANSITIONS, visible_state, PARTITION_AWARE_ONLY;
# every method of TaskStatusUpdateManager but in_flight). "path::scope" -> why.
NOT_PROTOCOL: dict[str, str] = {
    "lifecycle.py::check_transition": "raises for an illegal move; called only by apply_update "
        "and TaskLifecycle.step (machines test moves with is_legal and refuse/ignore)",
    "lifecycle.py::apply_update": "a reference of Master::updateTask used only by "
        "tests/test_lifecycle.py (the master books updates in master/base.py with is_legal)",
    "lifecycle.py::producers_for": "used only by tests/test_lifecycle.py",
    "lifecycle.py::TaskLifecycle.step": "the tests' tiny reference machine "
        "(tests/test_lifecycle.py); no daemon runs it",
    "lifecycle.py::TaskLifecycle.describe": "the tests' tiny reference machine",
    "lifecycle.py::edges": "docs rendering (docs/gen_lifecycle.py, docs/lifecycle.md)",
    "lifecycle.py::_short": "docs rendering",
    "lifecycle.py::render_mermaid": "docs rendering",
    "lifecycle.py::render_table": "docs rendering",
    "lifecycle.py::render_visibility": "docs rendering",
    "status_updates.py::TaskStatusUpdateManager.in_flight": "used only by "
        "tests/test_status_updates.py (the agent reads streams directly)",
    "status_updates.py::master_book_update": "a reference of Master::updateTask used only by "
        "tests/test_status_updates.py (the master books updates in master/base.py)",
    # s18 drivel: two more of the tests' helpers
    "status_updates.py::TaskStatusUpdateManager.unacknowledged_updates": "used only by "
        "tests/test_status_updates.py (an executor resends its own unacknowledged updates "
        "on SUBSCRIBE, core/executor.py; the agent never asks its manager for them)",
    "allocator/drf.py::drf_order_holds": "the allocator scenarios' oracle "
        "(core/testing/scn_allocator.py, tests/test_allocator.py); the simulator judges "
        "DRF order with invariants.DrfOrder and no daemon calls it",
}


def discover_source(rel: str, module: str, src: str) -> list[Mutant]:
    """The mutants of one module's source (`rel`: its path relative to core/), but none in
    the NOT_PROTOCOL functions."""
    out: list[Mutant] = []
    seen: dict[tuple[str, str, str, str, str], int] = {}
    tree = ast.parse(src)
    scopes = _scopes(tree)
    parents = {id(c): p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    for idx, node in enumerate(ast.walk(tree)):
        scope = scopes.get(id(node))
        if scope is None or f"{rel}::{scope}" in NOT_PROTOCOL:
            continue
        if _in_annotation_or_docstring(node, parents):
            continue
        for variant, (op, text) in enumerate(_alternatives(node, parents)):
            snip = _snippet(node)
            k = (rel, scope, op, text, snip)
            seen[k] = seen.get(k, -1) + 1
            out.append(Mutant(module=module, path=rel,
                              index=idx, op=op, variant=variant,
                              line=getattr(node, "lineno", 0), scope=scope, text=text,
                              snippet=snip, occurrence=seen[k]))
    return out


def sample_mutants(allm: list[Mutant], sample: int, seed: int) -> list[Mutant]:
    """The `sample` mutants whose keys hash lowest under `seed`: the same mutant stays in
    the sample when code elsewhere changes (a drawn list would reshuffle on any edit)."""
    def rank(m: Mutant) -> str:
        return hashlib.sha256(f"mutate/{seed}/{m.key}".encode()).hexdigest()

    return sorted(sorted(allm, key=rank)[:sample], key=lambda m: m.id)


def _in_annotation_or_docstring(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    cur: ast.AST | None = node
    while cur is not None:
        p = parents.get(id(cur))
        if isinstance(p, (ast.arg, ast.AnnAssign)) and getattr(p, "annotation", None) is cur:
            return True
        if isinstance(p, (ast.FunctionDef, ast.AsyncFunctionDef)) and p.returns is cur:
            return True
        if isinstance(cur, ast.Expr) and isinstance(cur.value, ast.Constant) \
                and isinstance(cur.value.value, str):
            return True
        cur = p
    return False


# ---------------------------------------------------------------------------- applying
class _Apply(ast.NodeTransformer):
    def __init__(self, target: ast.AST, m: Mutant) -> None:
        self.target = target
        self.m = m

    def visit(self, node: ast.AST) -> Any:
        if node is not self.target:
            return self.generic_visit(node)
        m = self.m
        if m.op == "cmp":
            k = int(m.text.rsplit("#", 1)[1])
            node.ops[k] = _CMP_SWAP[type(node.ops[k])]()  # type: ignore[attr-defined]
            return node
        if m.op == "arith":
            node.op = ast.Sub() if type(node.op) is ast.Add else ast.Add()  # type: ignore
            return node
        if m.op == "bool":
            node.op = ast.Or() if type(node.op) is ast.And else ast.And()  # type: ignore
            return node
        if m.op == "not":
            return node.operand  # type: ignore[attr-defined]
        if m.op == "const":
            v = node.value  # type: ignore[attr-defined]
            node.value = (not v) if type(v) is bool else v + 1  # type: ignore[attr-defined]
            return node
        if m.op == "cond":
            node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)  # type: ignore
            return node
        if m.op == "stmt":
            return ast.Pass()
        raise ValueError(m.op)


def mutated_source_tree(m: Mutant) -> ast.Module:
    path = CORE / m.path
    tree = ast.parse(path.read_text())
    target = next(n for i, n in enumerate(ast.walk(tree)) if i == m.index)
    tree = _Apply(target, m).visit(tree)
    ast.fix_missing_locations(tree)
    return tree


def _find_code(code: types.CodeType, qualname: str) -> types.CodeType | None:
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            if c.co_qualname == qualname:
                return c
            found = _find_code(c, qualname)
            if found is not None:
                return found
    return None


def _find_def(tree: ast.AST, qualname: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The def statement of `qualname` ("f" or "Class.method") at the top of `tree`."""
    node: Any = tree
    for part in qualname.split("."):
        node = next((n for n in getattr(node, "body", ()) if isinstance(
            n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == part), None)
        if node is None:
            return None
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def _mutated_defaults(m: Mutant, tree: ast.Module, mod: Any) -> tuple[Any, Any] | None:
    """(s16) The defaults of the mutated function when the mutant changed one (a default is
    evaluated where the def runs, not in its code object: swapping `__code__` alone leaves
    the old default, and such a mutant was judged UNCHANGED unseen). None when the mutant
    left the signature alone. The def is re-run bare (no body, annotations or decorators)
    in a copy of the live module's namespace."""
    new = _find_def(tree, m.scope)
    old = _find_def(ast.parse((CORE / m.path).read_text()), m.scope)
    if new is None or old is None:
        return None
    if ast.dump(new.args) == ast.dump(old.args):
        return None
    args = new.args
    for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
        if a is not None:
            a.annotation = None
    bare = ast.FunctionDef(name=new.name, args=args, body=[ast.Pass()], decorator_list=[],
                           returns=None)
    module = ast.fix_missing_locations(ast.Module(body=[bare], type_ignores=[]))
    ns = dict(vars(mod))
    exec(compile(module, str(CORE / m.path), "exec"), ns)  # noqa: S102 - our own source
    fn = ns[new.name]
    return fn.__defaults__, fn.__kwdefaults__


def _live_function(mod: Any, scope: str) -> Any:
    parts = scope.split(".")
    obj = getattr(mod, parts[0])
    if len(parts) == 2:
        obj = obj.__dict__[parts[1]]
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    return obj


def apply(m: Mutant) -> None:
    """Install the mutant in this process (irreversible: call it in a child process)."""
    mod = importlib.import_module(m.module)
    tree = mutated_source_tree(m)
    filename = str(CORE / m.path)
    if m.scope.startswith("<module>:"):
        ns: dict[str, Any] = {"__name__": m.module, "__file__": filename,
                              "__package__": m.module.rsplit(".", 1)[0]}
        exec(compile(tree, filename, "exec"), ns)  # noqa: S102 - our own mutated source
        for name in m.scope.split(":", 1)[1].split(","):
            setattr(mod, name, ns[name])
        return
    code = compile(tree, filename, "exec")
    new = _find_code(code, m.scope)
    if new is None:
        raise LookupError(f"no code object {m.scope} in {m.path}")
    fn = _live_function(mod, m.scope)
    fn.__code__ = new
    defaults = _mutated_defaults(m, tree, mod)
    if defaults is not None:
        fn.__defaults__, fn.__kwdefaults__ = defaults


# ---------------------------------------------------------------------------- judging
@attrs.frozen(kw_only=True)
class Judge:
    seeds: tuple[int, ...] = (0, 1, 2, 3)
    events: int = 3000
    agents: int = 5
    frameworks: int = 4
    quiesce: float = 700.0
    timeout: float = 30.0  # CPU seconds for len(seeds) + operator_runs runs (see budget)

    # and `operator_runs` more simulations (seeds 1, 3, ...: SimConfig.fast_alloc and
    # SimConfig.operator) run the allocator's production path, each cycle judged against the
    # reference cycle, with an operator's traffic and a `reserver` framework; the `seeds`
    # runs are the explain mode with the default workload (the judge before s11)
    operator_runs: int = 1
    # s13: and the first `variety` runs of VARIETY: other cluster shapes, fault mixes and
    # workloads (container limitations, health checks, one master, five masters, no fault,
    # dense crashes, small and large clusters), so that code the default workload never
    # runs, or runs only one way, is judged too
    variety: int = 0

    def configs(self) -> list[Any]:
        from mesotron.core.sim.config import SimConfig

        out = [SimConfig(seed=s, events=self.events, agents=self.agents,
                         frameworks=self.frameworks, faults="all", quiesce=self.quiesce)
               for s in self.seeds]
        for i in range(self.operator_runs):
            out.append(SimConfig(seed=2 * i + 1, events=self.events, agents=self.agents,
                                 frameworks=self.frameworks, faults="all",
                                 quiesce=self.quiesce, fast_alloc=True, operator=True,
                                 kinds=OPERATOR_KINDS))
        for v in VARIETY[:self.variety]:
            base: dict[str, Any] = {"events": self.events, "agents": self.agents,
                                    "frameworks": self.frameworks, "faults": "all",
                                    "quiesce": self.quiesce}
            out.append(SimConfig(**{**base, **v}))
        return out

    def budget(self, runs: int) -> float:
        """CPU seconds for a mutant judged by `runs` of the configs: `timeout` is the budget
        of the first len(seeds) + operator_runs runs, and each run gets as much."""
        first = max(1, len(self.seeds) + self.operator_runs)
        return self.timeout / first * max(runs, first)


# the framework kinds of the judge's operator run (the CLI's `--operator` uses the same)
from mesotron.core.sim.config import OPERATOR_KINDS

# s13: the judge's varied runs (`Judge.variety` takes the first N; `make mutate` all of
# them). Each overrides the default run's shape; every one passes on the unmutated code
# (tests/test_sim_mutate.py). Seeds 11.. so none repeats a default run.
VARIETY: tuple[dict[str, Any], ...] = (
    # container limitations (a task's nested container or an executor over its limits)
    {"seed": 12, "faults": "net,crash,disk,zk,oom"},
    # a 2-agent, 2-framework cluster under dense faults (every agent matters)
    {"seed": 13, "agents": 2, "frameworks": 2, "fault_interval": 8.0},
    # one master: no failover, the leader sees every agent and framework event itself
    {"seed": 17, "masters": 1},
    # no fault at all: the happy path to its end (every task finishes, every ack lands)
    {"seed": 15, "faults": "none", "odd_ids": True},  # s17 killa: odd task ids
    # agents crash and lose their disks' unsynced writes every 6 virtual seconds
    {"seed": 19, "faults": "crash,disk", "fault_interval": 6.0},
    # long-running services and a gang only (kills, restarts, reconciliation of services)
    {"seed": 20, "kinds": ("service", "service", "batch", "gang")},
    # five masters with ZooKeeper and network faults only (elections, fencing, re-register)
    {"seed": 18, "masters": 5, "faults": "zk,net", "fault_interval": 10.0},
    # more agents and frameworks than the default (8 agents, 6 frameworks)
    {"seed": 14, "agents": 8, "frameworks": 6},
    # health checks: sick tasks are killed (HealthChecksKill)
    {"seed": 11, "health": True},
    # s14 kmaster: the operator's run with a registry GC every 20 s that forgets agents
    # unreachable for 40 s (Mesos --registry_gc_interval=20secs --registry_max_agent_age=40secs:
    # a cluster that forgets lost agents fast); the operator's upgrades keep agents unreachable
    # 40-80 s, so the GC prunes (RegistryGcPrunes) and pruned agents come back
    # (seed 3: operator seed 4 fails SettingsAgree at 1,500 events on main's code already)
    {"seed": 3, "operator": True, "fast_alloc": True, "kinds": OPERATOR_KINDS,
     "registry_gc": (20.0, 40.0)},
    # s18 driveo: the operator's run with its extra agent calls (SimConfig.agent_calls: a
    # DEACTIVATE_AGENT twice, a REACTIVATE_AGENT of an active agent, MARK_AGENT_GONE twice, a
    # DRAIN_AGENT twice, calls to a standby and unserved ones: OperatorAgentCallsHold)
    {"seed": 42, "operator": True, "fast_alloc": True, "kinds": OPERATOR_KINDS,  # s18 driveo
     "agent_calls": True},  # s18 driveo
    # s18 drivem: the operator's run with scheduler API misuse (SimConfig.sched_misuse):
    # misaddressed calls, launches its ACLs deny, adversarial schedulers outliving a short
    # failover timeout (MisaddressedCallsRefused, UnauthorizedLaunchesRefused,
    # FailoverTimeoutsRemove)
    {"seed": 41, "operator": True, "fast_alloc": True, "kinds": OPERATOR_KINDS,  # s18 drivem
     "sched_misuse": True, "events": 2000},  # s18 drivem
    # s18 drivel: a MULTI_ROLE framework (its tasks under several roles on one agent, its
    # roles changed on each re-subscription, per-role and all-role revives, declines with a
    # negative refuse_seconds) under dense master, agent and scheduler failovers, so that
    # re-admitted agents carry allocations of two or three roles
    {"seed": 41, "multirole": True, "faults": "crash,zk,net", "fault_interval": 6.0},
    # s18 drivea: the batch frameworks do not checkpoint (Mesos's FrameworkInfo default): an
    # executor whose agent connection breaks is shut down, an agent restart loses their
    # tasks, their updates live in memory only (ExecutorDisconnectionsTolerated judges it)
    {"seed": 40, "uncheckpointed": True, "events": 2000},  # s18 drivea
    # s19 kmast3: the operator's run with the master's call edges (SimConfig.master_edges):
    # invalid SUBSCRIBEs (InvalidSubscriptionsRefused), operation reconciliations as soon as
    # the reserver is subscribed (OPERATION_RECOVERING: OperationFeedbackAgrees), a
    # RESERVE_RESOURCES with no resources (InvalidOperatorCallsRefused)
    {"seed": 43, "operator": True, "fast_alloc": True, "kinds": OPERATOR_KINDS,  # s19 kmast3
     "master_edges": True, "events": 2000},  # s19 kmast3
)


def _digest(res: Any) -> str:
    lines = res.summary()
    body = json.dumps([lines, sorted(res.counts.items())], default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def run_judge(judge: Judge, runs: list[int] | None = None) -> tuple[str | None, list[str]]:
    """(first failure or None, digest per run) of the current code; `runs` picks some of the
    judge's configs (indices), default all."""
    from mesotron.core.sim.run import simulate

    cfgs = judge.configs()
    digests: list[str] = []
    # the shell's collector policy (io/cli/gcpause.py; simulate() itself leaves gc alone):
    # paused during each run, one full collection after it
    was = gc.isenabled()
    gc.disable()
    try:
        for i in (range(len(cfgs)) if runs is None else runs):
            cfg = cfgs[i]
            res = simulate(cfg)
            if res.failure is not None:
                return f"{cfg.command()}: {res.failure}", digests
            digests.append(_digest(res))
            del res
            gc.collect()
    finally:
        if was:
            gc.enable()
    return None, digests


def _child(args: tuple[Mutant, Judge, list[str], list[int]]) -> dict[str, Any]:
    m, judge, base, runs = args
    import signal

    def alarm(_sig: int, _frame: Any) -> None:
        raise TimeoutError("mutant exceeded its CPU-time budget")

    # a CPU-time budget (not wall clock: a loaded machine must not turn slow runs into kills)
    signal.signal(signal.SIGVTALRM, alarm)
    signal.setitimer(signal.ITIMER_VIRTUAL, judge.budget(len(runs)))
    t0 = time.perf_counter()
    try:
        apply(m)
        failure, digests = run_judge(judge, runs)
    except TimeoutError as e:
        failure, digests = f"timeout: {e}", []
    except Exception as e:  # noqa: BLE001 - a machine crashed: the simulator noticed
        failure, digests = f"crash: {type(e).__name__}: {str(e)[:120]}", []
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
    if failure is not None:
        verdict = "killed"
    elif digests == [base[i] for i in runs]:
        verdict = "equivalent"
    else:
        verdict = "survived"
    return {"id": m.id, "scope": m.scope, "text": m.text, "verdict": verdict,
            "failure": failure, "runs": len(runs),
            "seconds": round(time.perf_counter() - t0, 2)}


def reached_scopes(judge: Judge, mutants: list[Mutant]) -> tuple[list[set[tuple[str, str]]],
                                                                 list[str]]:
    """Which (module, scope) of the mutants ran in each of the judge's unmutated runs (one set
    per config), and each run's digest. A mutant is judged only by the runs that call its
    function: a run that never calls it cannot differ (the runs are deterministic)."""
    from mesotron.core.sim.run import simulate

    wanted: dict[types.CodeType, tuple[str, str]] = {}
    for m in mutants:
        if m.scope.startswith("<module>:"):
            continue
        mod = importlib.import_module(m.module)
        try:
            fn = _live_function(mod, m.scope)
        except (AttributeError, KeyError):
            continue
        code = getattr(fn, "__code__", None)
        if code is not None:
            wanted[code] = (m.module, m.scope)
    tables = {(m.module, m.scope) for m in mutants if m.scope.startswith("<module>:")}
    per_run: list[set[tuple[str, str]]] = []
    digests: list[str] = []
    for cfg in judge.configs():
        hit: set[tuple[str, str]] = set()

        def prof(frame: Any, event: str, _arg: Any, hit: set[tuple[str, str]] = hit) -> None:
            if event == "call":
                key = wanted.get(frame.f_code)
                if key is not None:
                    hit.add(key)

        sys.setprofile(prof)
        try:
            res = simulate(cfg)
        finally:
            sys.setprofile(None)
        if res.failure is not None:
            raise SystemExit(f"the unmutated code fails the judge: {cfg.command()}: "
                             f"{res.failure}")
        digests.append(_digest(res))
        per_run.append(hit | tables)
    return per_run, digests


VERDICTS = ("killed", "survived", "unchanged", "equivalent", "unreached")


def reviewed_equivalents() -> dict[str, str]:
    """key -> reason, the hand-reviewed equivalent mutants (core/sim/equivalents.py)."""
    from mesotron.core.sim.equivalents import EQUIVALENT

    return dict(EQUIVALENT)


def _entry(m: Mutant) -> dict[str, Any]:
    return {"id": m.id, "key": m.key, "path": m.path, "line": m.line, "op": m.op,
            "scope": m.scope, "text": m.text, "snippet": m.snippet}


def judge_mutants(chosen: list[Mutant], *, judge: Judge, jobs: int,
                  progress: bool = False) -> list[dict[str, Any]]:
    """Verdicts of `chosen` (see the module docstring)."""
    reviewed = reviewed_equivalents()
    reached, base = reached_scopes(judge, chosen)
    runs = {m.id: [i for i, hit in enumerate(reached) if (m.module, m.scope) in hit]
            for m in chosen}
    runnable = [m for m in chosen if runs[m.id]]
    results: list[dict[str, Any]] = [
        {**_entry(m), "verdict": "unreached", "failure": None, "seconds": 0.0}
        for m in chosen if not runs[m.id]]
    by_id = {m.id: m for m in runnable}
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes=jobs, maxtasksperchild=1) as pool:
        for i, r in enumerate(pool.imap_unordered(_child, [(m, judge, base, runs[m.id])
                                                            for m in runnable])):
            m = by_id[r["id"]]
            r = {**_entry(m), **r}
            if r["verdict"] == "equivalent":
                r["verdict"] = "unchanged"
            if r["verdict"] != "killed" and m.key in reviewed:
                r["verdict"] = "equivalent"
                r["reason"] = reviewed[m.key]
            results.append(r)
            if progress:
                print(f"[{i + 1}/{len(runnable)}] {r['verdict']:10} {r['id']} {r['text']}"
                      f" [{m.snippet}]" + (f"  <- {r['failure']}" if r["failure"] else ""),
                      flush=True)
    return results


def summarize(results: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {v: sum(1 for r in results if r["verdict"] == v) for v in VERDICTS}
    reached = counts["killed"] + counts["survived"] + counts["unchanged"]
    strict = reached + counts["unreached"]
    proxy = counts["killed"] + counts["survived"]
    return {"counts": counts,
            # killed / every sampled mutant not reviewed equivalent, unreached ones included
            # (the figure we claim since s12: code the simulator never runs is a blind spot)
            "kill_rate": round(counts["killed"] / strict, 4) if strict else None,
            # s11's claimed figure: unreached mutants left out
            "kill_rate_reached": round(counts["killed"] / reached, 4) if reached else None,
            # the first campaign's figure: unchanged digests counted as equivalent
            "kill_rate_proxy": round(counts["killed"] / proxy, 4) if proxy else None}


def in_paths(path: str, paths: tuple[str, ...] | None) -> bool:
    """Is `path` (relative to core/) one of `paths` (a file, or a folder ending in '/')?"""
    if not paths:
        return True
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in paths)


def campaign(*, sample: int, seed: int, judge: Judge, jobs: int,
             progress: bool = False, only: set[str] | None = None,
             paths: tuple[str, ...] | None = None) -> dict[str, Any]:
    allm = discover()
    if only is not None:
        # the named mutants (an earlier report's), drawn or not by today's sample: the
        # sample's cut moves as the code grows, a re-judgement must not lose them
        chosen = sorted((m for m in allm if m.key in only), key=lambda m: m.id)
    else:
        chosen = sample_mutants(allm, sample, seed)
    chosen = [m for m in chosen if in_paths(m.path, paths)]
    t0 = time.perf_counter()
    results = judge_mutants(chosen, judge=judge, jobs=jobs, progress=progress)
    return {
        "mutants_total": len(allm),
        "sampled": len(chosen),
        "sample_seed": seed,
        **summarize(results),
        "judge": attrs.asdict(judge),
        "seconds": round(time.perf_counter() - t0, 1),
        "results": sorted(results, key=lambda r: r["id"]),
    }


def select_paths(mutants: Any, prefixes: str) -> set[str]:
    """Keys of `mutants` (Mutants or keys) whose path is one of the comma-separated `prefixes`
    (files, or folders ending in '/'; see in_paths; a key begins with its path)."""
    pre = tuple(p.strip() for p in prefixes.split(",") if p.strip())
    keys = {m if isinstance(m, str) else m.key for m in mutants}
    return {k for k in keys if in_paths(k.split("::", 1)[0], pre)}


def merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`old` with the results of the mutants `new` re-judged replaced."""
    fresh = {r["key"]: r for r in new["results"]}
    results = [fresh.get(r["key"], r) for r in old["results"]]
    return {**old, **summarize(results), "results": results,
            "rerun": {"mutants": len(fresh), "seconds": new["seconds"]}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="mutate", description=__doc__.split("\n\n")[0])
    p.add_argument("--sample", type=int, default=300, help="mutants drawn (seeded)")
    p.add_argument("--seed", type=int, default=0, help="seed of the mutant sample")
    p.add_argument("--seeds", type=int, default=3, help="simulations per mutant")
    p.add_argument("--events", type=int, default=3000, help="faulty events per simulation")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--timeout", type=float, default=30.0, help="CPU seconds per mutant")
    p.add_argument("--json", type=str, default=None, help="write the full report here")
    p.add_argument("--rerun", type=str, default=None, metavar="REPORT",
                   help="judge again only the mutants of this report whose verdict is in "
                        "--verdicts, and write the report with their new results to --json")
    p.add_argument("--verdicts", type=str, default="survived,unchanged,equivalent")
    p.add_argument("--paths", type=str, default=None,
                   help="judge only the sampled mutants of these files/folders of core/, comma "
                        "separated (a folder ends in '/'), e.g. allocator/,master/operator.py "
                        "(with --rerun: the others keep their old verdicts)")
    p.add_argument("--operator-runs", type=int, default=1,
                   help="simulations per mutant, besides --seeds, of the allocator's production "
                        "path with operator traffic (0: the judge before s11)")
    p.add_argument("--variety", type=int, default=len(VARIETY),
                   help="varied simulations per mutant besides those (other shapes, fault "
                        f"mixes and workloads: mutate.VARIETY, {len(VARIETY)} in all; 0: the "
                        "judge before s13); a mutant is judged only by the runs that call "
                        "its function")
    p.add_argument("--progress", action="store_true")
    a = p.parse_args(argv)
    judge = Judge(seeds=tuple(range(a.seeds)), events=a.events, timeout=a.timeout,
                  operator_runs=a.operator_runs, variety=a.variety)
    paths = tuple(x for x in a.paths.split(",") if x) if a.paths else None
    old = None
    only = None
    if a.rerun:
        old = json.loads(Path(a.rerun).read_text())
        wanted = set(a.verdicts.split(","))
        only = {r["key"] for r in old["results"] if r["verdict"] in wanted}
    rep = campaign(sample=a.sample, seed=a.seed, judge=judge, jobs=a.jobs,
                   progress=a.progress, only=only, paths=paths)
    if old is not None:
        print(f"re-judged {len(rep['results'])} mutants: {rep['counts']}")
        rep = merge(old, rep)
    if a.json:
        Path(a.json).write_text(json.dumps(rep, indent=1))
    c = rep["counts"]
    print(f"mutants: {rep['mutants_total']} generated, {rep['sampled']} sampled "
          f"(seed {a.seed}); judge: {len(judge.seeds)} + {judge.operator_runs} (production "
          f"path, operator) + {judge.variety} varied simulations x {judge.events} events")
    print(f"killed {c['killed']}, survived {c['survived']}, unchanged (same digests, not "
          f"reviewed) {c['unchanged']}, equivalent (reviewed) {c['equivalent']}, "
          f"unreached {c['unreached']}")
    for name, label in (("kill_rate", "killed / (killed + survived + unchanged + unreached)"),
                        ("kill_rate_reached", "killed / (killed + survived + unchanged), s11's"),
                        ("kill_rate_proxy", "killed / (killed + survived), the old proxy")):
        rate = rep[name]
        print(f"{name}: {'n/a' if rate is None else f'{rate:.1%}'}  = {label}")
    print(f"[{rep['seconds']} s]")
    for r in rep["results"]:
        if r["verdict"] in ("survived", "unchanged"):
            print(f"  {r['verdict']}: {r['id']} in {r['scope']}: {r['text']} [{r['snippet']}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
