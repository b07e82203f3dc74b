"""The seed's workloads as example frameworks (examples/), each run end to end against real
daemons: an MPI-style gang, a long-running service, a stream (and the DRF paper example in
tests/test_drf_paper.py, the word count in tests/test_daemons_examples.py)."""

from __future__ import annotations

import os
import sys

import pytest
import trio
from testkit import Cluster

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))

import gang  # noqa: E402


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    # two agents with room for two ranks each: a gang of 4 needs both
    with Cluster(str(tmp_path_factory.mktemp("gang")), agents=2,
                 resources="cpus:0.2;mem:256;ports:[31000-31010]",
                 master_flags=("--allocation-interval", "50ms")) as c:
        yield c


def test_gang_is_all_or_nothing_and_retried_as_a_whole(small) -> None:
    lines: list[str] = []

    async def run() -> int:
        with trio.fail_after(60):
            return await gang.gang(small.master_addr, 4, fail_rank=2, fail_times=1,
                                   out=lines.append)

    assert trio.run(run) == 2, lines
    text = "\n".join(lines)
    assert "rank-2-a1 TASK_FAILED" in text and "killing the gang of attempt 1" in text
    assert "all 4 ranks finished in attempt 2" in text
    # every rank of attempt 2 computed the allreduce (1+2+3+4) and said so in its stdout
    outs = []
    for root, _dirs, files in os.walk(small.tmp):
        if "stdout" in files and "/tasks/rank-" in root and root.endswith("-a2"):
            with open(os.path.join(root, "stdout")) as f:
                outs.append(f.read())
    assert len(outs) == 4 and all("allreduce(sum) = 10 (expected 10)" in o for o in outs), outs


def test_gang_that_cannot_fit_releases_its_offers(small) -> None:
    lines: list[str] = []

    async def run() -> int:
        with trio.fail_after(30):
            return await gang.gang(small.master_addr, 5, attempts=1, hold=0.5, out=lines.append)

    async def bounded() -> int:
        with trio.move_on_after(4):
            return await run()
        return -1

    assert trio.run(bounded) == -1  # 5 ranks never fit 4 slots: it keeps trying, never launches
    assert any("do not fit 5 ranks" in ln and "releasing them" in ln for ln in lines), lines
    assert not any("attempt 1:" in ln for ln in lines)
