"""Deployment: flags from the environment (MESOTRON_<FLAG>, MESOS_<FLAG>) and a flags file
with clear errors for unknown flags; and `pip install` of a built wheel into a throwaway
venv, outside the repository, giving a working `mesotron` command (with the web UI's static
files shipped)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import urllib.request

import pytest
from mesotron.io.daemons import flags as fl
from testkit import free_port, http_get, wait_for

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    p.add_argument("--work-dir")
    p.add_argument("--port", type=int, default=5050)
    p.add_argument("--no-fsync", action="store_true")
    p.add_argument("--flags-file")
    return p


def test_precedence_command_line_env_file(tmp_path) -> None:
    f = tmp_path / "flags"
    f.write_text("# comment\n--port=1\nwork_dir /from/file\nno-fsync=true\n")
    env = {"MESOS_PORT": "2", "MESOTRON_WORK_DIR": "/from/env", "MESOS_SANDBOX": "/ignored",
           "MESOTRON_UNRELATED_THING": "ignored"}
    p = parser()
    pre = fl.external_argv(p, env, str(f))
    assert p.parse_args(pre).port == 2 and p.parse_args(pre).work_dir == "/from/env"
    assert p.parse_args(pre).no_fsync is True
    assert p.parse_args([*pre, "--port", "3"]).port == 3  # the command line wins
    j = tmp_path / "flags.json"
    j.write_text(json.dumps({"port": 7, "no_fsync": False}))
    a = p.parse_args(fl.external_argv(p, {}, str(j)))
    assert a.port == 7 and a.no_fsync is False


def test_unknown_and_bad_flags(tmp_path) -> None:
    p = parser()
    f = tmp_path / "flags"
    f.write_text("port=1\nbogus=2\n")
    with pytest.raises(fl.FlagSourceError, match=r"unknown flag 'bogus' in .*flags line 2"):
        fl.external_argv(p, {}, str(f))
    with pytest.raises(fl.FlagSourceError, match="No such file"):
        fl.external_argv(p, {}, str(tmp_path / "missing"))
    with pytest.raises(fl.FlagSourceError, match="MESOS_NO_FSYNC: --no-fsync takes true or false"):
        fl.external_argv(p, {"MESOS_NO_FSYNC": "maybe"}, None)
    r = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "master", "--flags-file", str(f)],
                       capture_output=True, text=True, timeout=30, check=False)
    assert r.returncode == 2 and "mesotron master: error: unknown flag 'bogus'" in r.stderr
    r = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "master"], capture_output=True,
                       text=True, timeout=30, check=False, env={**os.environ, "MESOS_PORT": "x"})
    assert r.returncode == 2 and "--port" in r.stderr and "invalid" in r.stderr


def test_master_configured_by_env_and_file(tmp_path) -> None:
    port = free_port()
    f = tmp_path / "master.flags"
    f.write_text(f"work_dir={tmp_path / 'wd'}\nallocation_interval=250ms\n")
    env = {**os.environ, "MESOS_PORT": str(port), "MESOTRON_IP": "127.0.0.1",
           "MESOTRON_LOG_DIR": str(tmp_path / "logs")}
    proc = subprocess.Popen([sys.executable, "-m", "mesotron.io.cli.main", "master", "--flags-file",
                             str(f)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: http_get(port, "/health", 0.5)[0] == 200, 20, "the master")
        flags = json.loads(http_get(port, "/flags")[1])["flags"]
        assert flags["work_dir"] == str(tmp_path / "wd") and flags["allocation_interval"] == "0.25"
        assert os.path.exists(tmp_path / "logs" / "mesotron-master.log")
    finally:
        proc.terminate()
        proc.wait(10)


def test_wheel_installs_outside_the_repo(tmp_path) -> None:
    """Build a wheel (no build isolation: the venv's setuptools), install it with --no-deps
    into a fresh venv whose other packages come from this venv's site-packages (a .pth line:
    no download), then run it from outside the repository."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), REPO], check=True, timeout=300, cwd=tmp_path,
                   env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    (wheel,) = dist.glob("mesotron-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    vpy = venv / "bin" / "python"
    site = subprocess.run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # the dependencies (not mesotron: this venv has it only as an editable install, whose
    # finder a plain path entry does not activate)
    with open(os.path.join(site, "deps.pth"), "w") as fh:
        fh.write(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(vpy), "install", "--no-deps",
                    "--no-index", "-q", str(wheel)], check=True, timeout=300, cwd=tmp_path,
                   env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    out = tmp_path / "elsewhere"
    out.mkdir()
    exe = venv / "bin" / "mesotron"
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, cwd=out, check=False)
    assert r.returncode == 0 and r.stdout.startswith("mesotron "), r.stderr
    where = subprocess.run([str(vpy), "-c", "import mesotron.io.http.ui as u; print(u.__file__)"],
                           capture_output=True, text=True, cwd=out, check=True).stdout.strip()
    assert where.startswith(site), where  # the installed copy, not the repository
    port = free_port()
    proc = subprocess.Popen([str(exe), "master", "--port", str(port), "--work-dir", str(out / "m")],
                            cwd=out, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: http_get(port, "/health", 0.5)[0] == 200, 30, "the installed master")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
            assert b"<html" in resp.read()
        assert http_get(port, "/static/app.js")[0] == 200
        assert http_get(port, "/metrics")[0] == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_deploy_examples_are_valid() -> None:
    """docs/deploy/: the unit files start the daemons with the example flags files, which
    name only real flags with valid values; the agent's unit keeps executors on restart."""
    import configparser

    from mesotron.io.daemons import agent, master

    deploy = os.path.join(REPO, "docs", "deploy")
    for daemon, module in (("master", master), ("agent", agent)):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str  # type: ignore[assignment,method-assign]
        unit.read(os.path.join(deploy, f"mesotron-{daemon}.service"))
        exec_start = unit["Service"]["ExecStart"].split()
        assert exec_start[1:3] == [daemon, "--flags-file"]
        assert exec_start[3] == f"/etc/mesotron/{daemon}.flags"
        assert unit["Service"]["Restart"] == "always"
        p = argparse.ArgumentParser()
        module.add_arguments(p)
        p.add_argument("--flags-file")
        args = p.parse_args(fl.external_argv(p, {}, os.path.join(deploy, f"{daemon}.flags")))
        assert args.work_dir.startswith("/var/lib/mesotron/") and args.log_dir == "/var/log/mesotron"
        if daemon == "agent":
            assert unit["Service"]["KillMode"] == "process" and args.recover == "reconnect"
        else:
            assert args.registry == "zk" and args.zk.startswith("zk://")
