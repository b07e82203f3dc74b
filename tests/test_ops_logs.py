"""Logs: structlog in the daemons with `--log-format text|json`, `--log-level`, `--log-dir`
(size rotation); every line carries the daemon and its ids; secrets never written."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import structlog
from mesotron.io.daemons import logs
from testkit import Cluster, wait_for


def _lines(path: str) -> list[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_json_lines_ids_rotation_and_redaction(tmp_path) -> None:
    log = logs.configure("json", "info", component="master", log_dir=str(tmp_path),
                         max_bytes=2000, backups=2)
    try:
        logs.daemon_ids(master_id="m-1", agent_id=lambda: None)
        log.info("hello", task="t1", framework="f1", zk="zk://alice:s3cret@10.0.0.1:2181/mesos",
                 secret="x", password="y", principal="alice", authorization="Basic abc")
        log.debug("invisible")
        import logging

        logging.getLogger("kazoo.client").warning("lost zk://bob:pw@h:1/x")
        logging.getLogger("kazoo.client").info("not shown")
        line, std = _lines(str(tmp_path / "mesotron-master.log"))
        assert std["logger"] == "kazoo.client" and std["level"] == "warning"
        assert std["daemon"] == "master" and std["event"] == "lost zk://bob:***@h:1/x"
        assert line["daemon"] == "master" and line["master_id"] == "m-1" and "agent_id" not in line
        assert line["task_id"] == "t1" and line["framework_id"] == "f1" and "task" not in line
        assert line["zk"] == "zk://alice:***@10.0.0.1:2181/mesos"
        assert line["secret"] == line["password"] == line["authorization"] == "***"
        assert line["principal"] == "alice" and line["level"] == "info" and line["timestamp"]
        for i in range(100):
            log.info("filler", i=i, pad="x" * 50)
        files = sorted(os.listdir(tmp_path))
        assert len(files) == 3, files
        assert files == ["mesotron-master.log", "mesotron-master.log.1", "mesotron-master.log.2"]
        for f in files:
            assert os.path.getsize(tmp_path / f) <= 2000
            assert all(x["daemon"] == "master" for x in _lines(str(tmp_path / f)))
    finally:
        logs.close()
        structlog.reset_defaults()


def test_text_format_and_level(tmp_path) -> None:
    log = logs.configure("text", "warning", component="agent", log_dir=str(tmp_path))
    try:
        logs.daemon_ids(pid="slave(1)@127.0.0.1:5051", agent_id=lambda: "S1")
        log.info("hidden")
        log.warning("shown", task="t9")
        text = (tmp_path / "mesotron-agent.log").read_text()
        assert "hidden" not in text
        assert "shown" in text and "daemon=agent" in text and "agent_id=S1" in text
        assert "task_id=t9" in text
    finally:
        logs.close()
        structlog.reset_defaults()


def test_effect_loop_skips_lines_below_the_level_unless_verbosity_is_raised(tmp_path) -> None:
    """`logs.enabled` (the effect loop's early skip of a Log effect) agrees with the
    configured level and SET_LOGGING_LEVEL's raised verbosity; everything passes before
    `configure` and after `close`."""
    import trio
    from mesotron.core.effects import Log
    from mesotron.io.daemons.loop import EffectLoop

    class Machine:
        def step(self, now, inp):
            return [Log(level=inp, event=f"at-{inp}")]

    assert logs.enabled("debug")
    log = logs.configure("text", "warning", component="master", log_dir=str(tmp_path))
    try:
        assert not logs.enabled("info") and not logs.enabled("debug")
        assert logs.enabled("warning") and logs.enabled("error")
        loop = EffectLoop(Machine(), log)
        for level in ("info", "warning"):
            trio.run(loop.feed, level)
        logs.set_verbosity(1, 60.0)
        assert logs.enabled("debug")
        trio.run(loop.feed, "debug")
        logs.set_verbosity(0, 0.0)
        assert not logs.enabled("debug")
        text = (tmp_path / "mesotron-master.log").read_text()
        assert "at-warning" in text and "at-debug" in text and "at-info" not in text
    finally:
        logs.close()
        structlog.reset_defaults()
    assert logs.enabled("info")


def test_daemons_log_dir(tmp_path) -> None:
    ld = tmp_path / "logs"
    flags = ("--log-dir", str(ld), "--log-format", "json")
    with Cluster(str(tmp_path), agents=1, master_flags=flags, agent_flags=(*flags, "--no-fsync")) as c:
        r = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "execute", "--master",
                            c.master_addr, "--name", "logged", "--command", "true",
                            "--resources", "cpus:0.1;mem:16", "--timeout", "60"],
                           capture_output=True, text=True, timeout=90, check=False)
        assert r.returncode == 0, r.stdout
        wait_for(lambda: any(x.get("agent_id") for x in _lines(str(ld / "mesotron-agent.log"))),
                 20, "an agent line with its id")
    master = _lines(str(ld / "mesotron-master.log"))
    agent = _lines(str(ld / "mesotron-agent.log"))
    assert master and all(x["daemon"] == "master" and x["master_id"] and x["pid"] for x in master)
    assert agent and all(x["daemon"] == "agent" and x["pid"].startswith("slave(1)@") for x in agent)
    registered = [x for x in agent if x.get("agent_id")]
    assert registered and len({x["agent_id"] for x in registered}) == 1
    # the master's per-event ids: the agent it registered
    assert any(x["event"] == "agent_registered" and x["agent_id"] == registered[0]["agent_id"]
               for x in master)


def test_bad_log_flags() -> None:
    r = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "master", "--log-max-size",
                        "ten"], capture_output=True, text=True, timeout=30, check=False)
    assert r.returncode == 2 and "invalid size 'ten'" in r.stderr
