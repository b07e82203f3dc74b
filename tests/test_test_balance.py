"""`make test`'s balance of the two pytest workers (tests/conftest.py): the order in which
modules are handed out and which modules are split into one work unit per test."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import conftest

HERE = os.path.dirname(os.path.abspath(__file__))


def test_split_modules_are_one_unit_per_test_and_the_others_one_per_module():
    bug = "tests/test_sim_bugs.py::test_planted_bug_is_caught[ack_before_persist]"
    assert conftest.work_unit(bug) == bug
    assert conftest.work_unit("tests/test_tla.py::test_x[a]") == "tests/test_tla.py"
    assert conftest.work_unit("tests/test_lab.py::T::test_y") == "tests/test_lab.py"


def test_modules_are_collected_longest_first_and_split_modules_last():
    with open(os.path.join(HERE, "module_seconds.json")) as f:
        seconds = json.load(f)
    mods = ["test_timers.py", "test_sim_bugs.py", "test_zk_url.py", "test_resources.py"]
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly",
         *(os.path.join(HERE, m) for m in mods)],
        capture_output=True, text=True, timeout=300, cwd=os.path.dirname(HERE), check=True,
    ).stdout
    seen: list[str] = []
    for line in out.splitlines():
        if "::" in line:
            m = os.path.basename(line.split("::", 1)[0])
            if not seen or seen[-1] != m:
                seen.append(m)
    assert sorted(seen) == sorted(mods), seen  # each module's tests stay together
    assert seen[-1] == "test_sim_bugs.py"
    rest = seen[:-1]
    assert rest == sorted(rest, key=lambda m: -seconds.get(m, 1.0)), (rest, seconds)
