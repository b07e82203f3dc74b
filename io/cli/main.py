"""`mesotron` command line: a thin dispatcher; each subcommand lives in its own module.

Subcommand modules expose `add_arguments(parser)` and `run(args) -> int` (or "module:obj"
names an object of the module that does); they are
imported lazily so that `mesotron <cmd>` only pays for what it uses.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from typing import Any

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "master": ("mesotron.io.daemons.master", "run a master daemon"),
    "agent": ("mesotron.io.daemons.agent", "run an agent daemon"),
    "local": ("mesotron.io.daemons.local", "run a master and N agents on loopback"),
    "execute": ("mesotron.io.cli.execute", "run a command as tasks (like mesos-execute)"),
    "ps": ("mesotron.io.cli.ps", "list tasks of a cluster"),
    "cat": ("mesotron.io.cli.files:cat_cmd", "print a file of a task's sandbox (default stdout)"),
    "tail": ("mesotron.io.cli.files:tail_cmd", "print the end of a task's file; -f follows it"),
    "ls": ("mesotron.io.cli.files:ls_cmd", "list a task's sandbox directory"),
    "why": ("mesotron.io.cli.why", "why a framework is not offered resources"),
    "top": ("mesotron.io.cli.top", "a live table of agents, frameworks and tasks"),
    "sim": ("mesotron.io.cli.sim", "deterministic cluster simulation (fuzzing, teaching)"),
    "plot": ("mesotron.io.cli.plot", "charts of a recorded run (shares, offers, tasks, failover)"),
    "record": ("mesotron.io.cli.record", "record a running cluster for `mesotron plot`"),
    "lab": ("mesotron.io.cli.lab", "a cluster of hosts in network namespaces; chaos campaigns"),
    "check": ("mesotron.io.cli.check", "exhaustive exploration of the real machines"),
    "demo": ("mesotron.io.cli.demo", "the `make demo` walkthrough"),
    "executor": ("mesotron.io.daemons.executor", "built-in command executor (started by agents)"),
}


# the built-in executor is started by agents with Mesos's executor environment (MESOS_*):
# none of that is meant as its flags
NO_EXTERNAL_FLAGS = frozenset({"executor"})


class _Version(argparse.Action):
    """--version, reading the installed version only when asked (importlib.metadata costs
    ~45 ms of every daemon's and executor's start)."""

    def __call__(self, parser: argparse.ArgumentParser, *_a: Any) -> None:
        from importlib.metadata import version

        print(f"mesotron {version('mesotron')}")  # on stdout, as argparse's "version" action
        parser.exit()


def _pre_parser() -> argparse.ArgumentParser:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--flags-file", default=None)
    return pre


def _available() -> dict[str, tuple[str, str]]:
    out = {}
    for name, (mod, help_) in SUBCOMMANDS.items():
        if importlib.util.find_spec(mod.partition(":")[0]) is not None:
            out[name] = (mod, help_)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="mesotron", description="mesotron: Apache Mesos, re-built as pure state machines")
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    avail = _available()
    for name, (_mod, help_) in avail.items():
        sub.add_parser(name, help=help_, add_help=False)
    if not argv or argv[0] not in avail:
        parser.parse_args(argv or ["--help"])
        return 2
    modname, _, attr = avail[argv[0]][0].partition(":")
    module: Any = importlib.import_module(modname)
    if attr:  # several subcommands in one module: an object with add_arguments/run
        module = getattr(module, attr)
    p = argparse.ArgumentParser(prog=f"mesotron {argv[0]}", description=avail[argv[0]][1])
    module.add_arguments(p)
    rest = dashed_flags(p, argv[1:])
    if argv[0] not in NO_EXTERNAL_FLAGS:
        p.add_argument("--flags-file", metavar="FILE", default=None,
                       help="read flags from FILE (flag=value lines, or a JSON object); the "
                            "environment's MESOTRON_<FLAG> and MESOS_<FLAG> are read too; "
                            "the command line wins, then MESOTRON_, then MESOS_, then the file")
        from mesotron.io.daemons.flags import FlagSourceError, external_argv

        pre, _ = _pre_parser().parse_known_args(rest)
        try:
            rest = external_argv(p, dict(os.environ), pre.flags_file) + rest
        except FlagSourceError as e:
            p.error(str(e))
    args = p.parse_args(rest)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130


def dashed_flags(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """Mesos's flag spellings: `--authenticate_http_readonly[=v]` is `--authenticate-http-readonly`
    when the dashed form is one of the parser's options (anything else is left alone)."""
    known = {o for a in parser._actions for o in a.option_strings}
    out = []
    for arg in argv:
        if arg.startswith("--") and "_" in arg:
            name, eq, value = arg.partition("=")
            dashed = "--" + name[2:].replace("_", "-")
            if name not in known and dashed in known:
                arg = dashed + eq + value
        out.append(arg)
    return out


if __name__ == "__main__":
    sys.exit(main())
