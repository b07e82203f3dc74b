"""Data-driven scenario files (etcd raft's `testdata/*.txt` habit).

A file is a header (comments starting with `#`, then `machine: <name>`) followed by cases:
a command line starting with `> ` and the expected output lines up to the next blank line.
The driver for `<name>` is `mesotron.core.testing.scn_<name>.Driver`; it owns its machine,
its virtual clock and its seeded ids, and turns each command into output lines.
"""

from __future__ import annotations

import importlib
import shlex
from typing import Protocol

import attrs


class Driver(Protocol):
    def run(self, command: str, args: list[str], kwargs: dict[str, str]) -> list[str]: ...


@attrs.frozen(kw_only=True, slots=True)
class Case:
    command: str
    expected: tuple[str, ...]
    line: int


@attrs.frozen(kw_only=True, slots=True)
class Scenario:
    header: tuple[str, ...]
    machine: str
    cases: tuple[Case, ...]


class ScenarioFormatError(ValueError):
    pass


def parse(text: str) -> Scenario:
    header: list[str] = []
    machine = None
    cases: list[Case] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines) and not lines[i].startswith("> "):
        line = lines[i]
        if line.startswith("machine:"):
            machine = line.split(":", 1)[1].strip()
        elif line.strip() and not line.startswith("#"):
            raise ScenarioFormatError(f"line {i + 1}: expected a comment, machine: or a command")
        header.append(line)
        i += 1
    if not machine:
        raise ScenarioFormatError("no `machine:` line in the header")
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if not line.startswith("> "):
            raise ScenarioFormatError(f"line {i + 1}: expected a command starting with '> '")
        start = i
        command = line[2:].strip()
        i += 1
        out: list[str] = []
        while i < len(lines) and lines[i].strip():
            out.append(lines[i].rstrip())
            i += 1
        cases.append(Case(command=command, expected=tuple(out), line=start + 1))
    return Scenario(header=tuple(header), machine=machine, cases=tuple(cases))


def split_command(command: str) -> tuple[str, list[str], dict[str, str]]:
    words = shlex.split(command)
    if not words:
        raise ScenarioFormatError("empty command")
    args: list[str] = []
    kwargs: dict[str, str] = {}
    for w in words[1:]:
        if "=" in w and not w.startswith("="):
            k, v = w.split("=", 1)
            kwargs[k] = v
        else:
            args.append(w)
    return words[0], args, kwargs


def make_driver(machine: str) -> Driver:
    module = importlib.import_module(f"mesotron.core.testing.scn_{machine}")
    return module.Driver()


def run(scenario: Scenario) -> list[tuple[Case, tuple[str, ...]]]:
    """Run every case; return (case, actual output) pairs."""
    driver = make_driver(scenario.machine)
    results = []
    for case in scenario.cases:
        cmd, args, kwargs = split_command(case.command)
        actual = tuple(line.rstrip() for line in driver.run(cmd, args, kwargs))
        results.append((case, actual))
    return results


def render(scenario: Scenario, results: list[tuple[Case, tuple[str, ...]]]) -> str:
    parts = ["\n".join(scenario.header).rstrip("\n")]
    for case, actual in results:
        parts.append("\n".join([f"> {case.command}", *actual]))
    return "\n\n".join(parts) + "\n"
