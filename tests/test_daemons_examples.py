"""The example frameworks run on real daemons: the word count (MapReduce style) gives the
same counts as counting in-process."""

from __future__ import annotations

import collections
import gc
import importlib.util
import os
import re

import pytest
import trio
from testkit import Cluster

# httpx's streaming responses leave inner async generators behind when a stream is cancelled
# (the client going away is how these tests end a subscription); collect them here, inside
# this module's tests, where their finalization noise is expected.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(autouse=True)
def _collect_streams():
    yield
    gc.collect()

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"_example_{name}", os.path.join(ROOT, "examples", f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_wordcount(tmp_path) -> None:
    wc = load("wordcount_demo")

    work = tmp_path / "work"
    work.mkdir()
    lines: list[str] = []
    with Cluster(str(tmp_path), agents=2, master_flags=("--allocation-interval", "50ms")) as c:
        async def main():
            with trio.fail_after(60):
                return await wc.wordcount(c.master_addr, wc.DEFAULT_TEXT, 3, 2, str(work), out=lines.append)

        counts = trio.run(main)
    with open(wc.DEFAULT_TEXT) as f:
        expected = collections.Counter(re.findall(r"[a-z']+", f.read().lower()))
    assert counts == dict(expected)
    assert sum(1 for ln in lines if "TASK_FINISHED" in ln) == 5


class NodeCluster(Cluster):
    """Agents named by attribute: agent i has `node:n<i>` (where input splits live)."""

    def agent(self, i: int, port: int | None = None):  # type: ignore[no-untyped-def]
        d = super().agent(i, port)
        d.argv += ["--attributes", f"node:n{i}"]
        return d


def test_wordcount_locality_delay_scheduling_and_files_shuffle(tmp_path) -> None:
    """Map tasks run where their split lives; a split whose node does not exist (n2 of 2
    agents) waits `locality_wait`, then runs anywhere; reducers read map outputs over /files."""
    wc = load("wordcount_demo")
    work = tmp_path / "work"
    work.mkdir()
    lines: list[str] = []
    with NodeCluster(str(tmp_path), agents=2, master_flags=("--allocation-interval", "50ms")) as c:
        node_of = {s["id"]: s["attributes"]["node"] for s in c.state()["slaves"]}

        async def main():
            with trio.fail_after(90):
                return await wc.wordcount(c.master_addr, wc.DEFAULT_TEXT, 4, 2, str(work),
                                          out=lines.append, nodes=3, locality_wait=1.5)

        counts = trio.run(main)
    with open(wc.DEFAULT_TEXT) as f:
        expected = collections.Counter(re.findall(r"[a-z']+", f.read().lower()))
    assert counts == dict(expected)
    assert "  locality: 3/4 map tasks ran where their split lives" in lines, lines
    ran = {m.group(1): node_of[m.group(2)] for ln in lines
           if (m := re.search(r"(map-\d) TASK_FINISHED on (\S+)", ln))}
    assert ran["map-0"] == "n0" and ran["map-1"] == "n1" and ran["map-3"] == "n0", ran
    # the reducers' inputs came over HTTP: no map output was written outside a sandbox
    assert not list(work.glob("map-*")), list(work.iterdir())
