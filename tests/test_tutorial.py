"""The course (docs/tutorial/) cannot rot: every `$ ` command of its ```console blocks runs
here (with `$MASTER` the address of the `mesotron local` the chapter starts), every picture
it shows exists and `docs/tutorial/pictures.py` regenerates them, and every core/ or io/
path it names exists."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TUTORIAL = os.path.join(ROOT, "docs", "tutorial")
BIN = os.path.dirname(sys.executable)
CHAPTERS = sorted(f for f in os.listdir(TUTORIAL) if re.match(r"\d\d-.*\.md$", f))
# what a command's output must show, beyond its exit status
EXPECT = {
    "examples/drf_paper.py": ["A 3 tasks, dominant share 2/3, B 2 tasks, dominant share 2/3"],
    "examples/drf_paper.py --weight a=3": ["A 4 tasks, dominant share 8/9"],
    "examples/all_at_once.py": ["'gang': 1", "'stream': True", "'service': 3"],
    "--bug allocator_double_offer": ["PLANTED BUG"],
    "mesotron execute": ["Received status update TASK_FINISHED"],
}


def read(name: str) -> str:
    with open(os.path.join(TUTORIAL, name)) as f:
        return f.read()


def commands(chapter: str) -> list[tuple[str, int]]:
    text = read(chapter)
    out = []
    for block in re.findall(r"```console\n(.*?)```", text, re.DOTALL):
        for line in block.splitlines():
            if line.startswith("$ "):
                cmd, _, comment = line[2:].partition("   #")
                m = re.search(r"exits (\d+)", comment)
                out.append((cmd.strip(), int(m.group(1)) if m else 0))
    return out


def argv(cmd: str, master: str | None) -> list[str]:
    if "$MASTER" in cmd:
        assert master, f"{cmd!r} needs a `mesotron local` earlier in its chapter"
        cmd = cmd.replace("$MASTER", master)
    args = shlex.split(cmd)
    if args[0] == "mesotron":
        return [os.path.join(BIN, "mesotron"), *args[1:]]
    if args[0] == "python":
        return [sys.executable, *args[1:]]
    raise AssertionError(f"the tutorial runs only mesotron and python commands: {cmd!r}")


def test_every_chapter_has_commands_and_the_index_lists_it() -> None:
    index = read("README.md")
    assert len(CHAPTERS) == 7
    for ch in CHAPTERS:
        assert f"]({ch})" in index, ch
        # 05: isolation needs root and cgroups; 07: its commands need clusters with a GPU
        # agent, run by tests/test_examples_workloads.py::test_placement_three_ways (both
        # chapters say so)
        if not ch.startswith(("05-", "07-")):
            assert commands(ch), f"{ch} has no runnable command"


@pytest.mark.parametrize("chapter", [c for c in CHAPTERS if commands(c)])
def test_chapter_commands_run(chapter, tmp_path) -> None:
    local = None
    drain = None
    master = None
    try:
        for cmd, want in commands(chapter):
            if cmd.startswith("mesotron local"):
                args = argv(cmd, None) + ["--work-dir", str(tmp_path / "cluster")]
                local = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         text=True, cwd=ROOT)
                for line in local.stdout:
                    if line.startswith("mesotron local: master http://"):
                        master = line.split("http://", 1)[1].split()[0]
                        break
                assert master, "mesotron local did not become ready"
                # keep reading its output: a full pipe would block the cluster's next log line
                drain = threading.Thread(target=lambda f=local.stdout: [None for _ in f], daemon=True)
                drain.start()
                continue
            try:
                r = subprocess.run(argv(cmd, master), capture_output=True, text=True, cwd=ROOT,
                                   timeout=300, check=False)
            except subprocess.TimeoutExpired as e:
                tail = e.stdout.decode()[-3000:] if isinstance(e.stdout, bytes) else (e.stdout or "")[-3000:]
                pytest.fail(f"{cmd}: still running after 300 s; its output ended with:\n{tail}")
            assert r.returncode == want, f"{cmd}: exit {r.returncode}\n{r.stdout[-2000:]}{r.stderr[-2000:]}"
            for key, needles in EXPECT.items():
                if cmd.endswith(key) or (key in cmd and not key.startswith("examples/drf")):
                    for n in needles:
                        assert n in r.stdout, f"{cmd}: {n!r} not in its output\n{r.stdout[-2000:]}"
    finally:
        if local is not None:
            local.send_signal(signal.SIGINT)
            rc = local.wait(timeout=60)
            if drain is not None:
                drain.join(timeout=10)  # reads to the end of the output, then ends
            local.stdout.close()
            assert rc == 0


def test_pictures_exist_and_regenerate(tmp_path) -> None:
    for ch in CHAPTERS:
        for img in re.findall(r"!\[[^\]]*\]\((img/[^)]+)\)", read(ch)):
            assert os.path.isfile(os.path.join(TUTORIAL, img)), f"{ch}: {img}"
    r = subprocess.run([sys.executable, os.path.join(TUTORIAL, "pictures.py"), str(tmp_path)],
                       capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    made = sorted(os.listdir(tmp_path))
    assert made == sorted(os.listdir(os.path.join(TUTORIAL, "img")))
    for name in made:
        with open(tmp_path / name, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_paths_the_course_names_exist() -> None:
    for ch in [*CHAPTERS, "README.md"]:
        text = read(ch)
        for path in re.findall(r"`((?:core|io|examples|tests|docs)/[\w/.-]+)", text):
            path = path.split("::")[0].rstrip(".")
            assert os.path.exists(os.path.join(ROOT, path)), f"{ch}: {path}"


def test_example_task_ports_lie_outside_the_ephemeral_range() -> None:
    """A fixed task port inside the kernel's ephemeral range can be taken first by any socket
    bound to port 0 on this host (every test daemon): the task then never binds it (the
    all_at_once chapter hung for 300 s twice in stop 14 that way). Nor may it fall inside the
    block testkit.free_port hands out to the tests' own daemons."""
    from testkit import PORTS_HI, PORTS_LO

    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        eph_lo, eph_hi = (int(x) for x in f.read().split())
    found = []
    for name in sorted(os.listdir(os.path.join(ROOT, "examples"))):
        if name.endswith(".py"):
            with open(os.path.join(ROOT, "examples", name)) as f:
                text = f.read()
            for lo, hi in re.findall(r"ports:\[(\d+)-(\d+)\]", text):
                found.append((name, int(lo), int(hi)))
                assert int(hi) < eph_lo or int(lo) > eph_hi, f"{name}: ports [{lo}-{hi}] in {eph_lo}-{eph_hi}"
                assert int(hi) < PORTS_LO or int(lo) >= PORTS_HI, f"{name}: ports [{lo}-{hi}] in testkit's block"
    assert ("all_at_once.py", 30000, 30100) in found
