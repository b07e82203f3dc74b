"""`mesotron` command line: a thin dispatcher; each subcommand lives in its own module.

Subcommand modules expose `add_arguments(parser)` and `run(args) -> int`; they are
imported lazily so that `mesotron <cmd>` only pays for what it uses.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from importlib.metadata import version

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "master": ("mesotron.io.daemons.master", "run a master daemon"),
    "agent": ("mesotron.io.daemons.agent", "run an agent daemon"),
    "local": ("mesotron.io.daemons.local", "run a master and N agents on loopback"),
    "execute": ("mesotron.io.cli.execute", "run a command as tasks (like mesos-execute)"),
    "ps": ("mesotron.io.cli.ps", "list tasks of a cluster"),
    "sim": ("mesotron.io.cli.sim", "deterministic cluster simulation (fuzzing, teaching)"),
    "check": ("mesotron.io.cli.check", "exhaustive exploration of the real machines"),
    "demo": ("mesotron.io.cli.demo", "the `make demo` walkthrough"),
    "executor": ("mesotron.io.daemons.executor", "built-in command executor (started by agents)"),
}


def _available() -> dict[str, tuple[str, str]]:
    out = {}
    for name, (mod, help_) in SUBCOMMANDS.items():
        if importlib.util.find_spec(mod) is not None:
            out[name] = (mod, help_)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="mesotron", description="mesotron: Apache Mesos, re-built as pure state machines")
    parser.add_argument("--version", action="version", version=f"mesotron {version('mesotron')}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    avail = _available()
    for name, (_mod, help_) in avail.items():
        sub.add_parser(name, help=help_, add_help=False)
    if not argv or argv[0] not in avail:
        parser.parse_args(argv or ["--help"])
        return 2
    module = importlib.import_module(avail[argv[0]][0])
    p = argparse.ArgumentParser(prog=f"mesotron {argv[0]}", description=avail[argv[0]][1])
    module.add_arguments(p)
    args = p.parse_args(argv[1:])
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
