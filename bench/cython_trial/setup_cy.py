"""s18 compile trial: build the core with Cython 3.3.1 in pure-Python mode, no source edits (not
adopted: docs/performance.md "Session 18, a compiled core"). Run in a COPY of the tree (git archive),
with `pip install cython==3.3.1` in a scratch venv:

    cd COPY && python bench/cython_trial/setup_cy.py build_ext --inplace -j2

env CY_MODS="core/x.py ..." picks modules (default every core/**/*.py but __init__, testing/ and
mutate.py; sim/checks_kobs.py must be left out: Cython 3.3.1 rejects its line 206), CY_ANN=1 turns
annotation_typing on (it breaks the run: frameworks.py on_timer`s `tag: str`).
"""
import os
import sys
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

mods = os.environ.get("CY_MODS", "").split()
if not mods:
    mods = sorted(str(p) for p in Path("core").rglob("*.py")
                  if p.name != "__init__.py" and "testing" not in p.parts
                  and p.name not in ("mutate.py",))
exts = []
for m in mods:
    name = "mesotron." + m[:-3].replace("/", ".")
    exts.append(Extension(name, [m]))
directives = {"language_level": 3, "binding": True,
              "annotation_typing": os.environ.get("CY_ANN", "0") == "1"}
for kv in os.environ.get("CY_DIR", "").split():
    k, v = kv.split("=")
    directives[k] = {"True": True, "False": False}.get(v, v)
setup(name="mesotron-cy", package_dir={"mesotron.core": "core"},
      packages=[], ext_modules=cythonize(exts, compiler_directives=directives,
                                         nthreads=int(os.environ.get("CY_J", "2")), quiet=True),
      script_args=sys.argv[1:])
