# mesotron: the two commands a newcomer runs are `make demo` and `make test`.
# Every target builds/uses .venv itself and installs pinned dependencies.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test unit tla lint bench fuzz chaos mutate venv sysdeps clean ui-screenshots

$(VENV)/.deps: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade "pip==26.3" "setuptools==84.2.1" "wheel==0.48.0"
	$(PIP) install -q -e '.[test]'
	$(PY) tests/testkit.py install-pymesos
	touch $(VENV)/.fresh $@

# (re)install the editable package: strict editable installs only see files present at install time
# (not right after .deps installed it: $(VENV)/.fresh)
venv: $(VENV)/.deps
	@if [ -f $(VENV)/.fresh ]; then rm -f $(VENV)/.fresh; \
	else echo "$(PIP) install -q --no-deps --no-build-isolation -e ."; \
	  $(PIP) install -q --no-deps --no-build-isolation -e .; fi
	@# the package's bytecode, written once: daemons, executors and the CLI start ~700 times in
	@# a `make test`, and where PYTHONDONTWRITEBYTECODE is set (this machine sets it) each start
	@# would compile every module it imports from source (~0.1-0.2 CPU-s a start)
	$(PY) -m compileall -q -j 0 build/__editable__.*/mesotron

# system packages the full suite needs (a JRE for TLC; ZooKeeper's jars for the HA tests;
# chromium for the web UI's browser test);
# installed with apt when missing. Only the `zookeeper` package (jars), never the service.
sysdeps:
	@command -v java >/dev/null || { (command -v sudo >/dev/null && SUDO=sudo || SUDO=); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q default-jre-headless; }
	@test -f /usr/share/java/zookeeper.jar || { SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q zookeeper default-jre-headless; }
	@# the web UI's browser test drives Debian's chromium through Playwright (never a
	@# downloaded browser)
	@test -x /usr/bin/chromium || { SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

demo: venv
	$(VENV)/bin/mesotron demo

# pytest runs on $(TEST_WORKERS) workers (pytest-xdist, one test module per worker at a time;
# tests/conftest.py runs the lab's modules one at a time across workers); the
# exhaustive explorer and TLC's simulator trace batches run beside it (TLC's models and demo
# traces are checked once, by pytest: tests/test_tla.py); their output is printed after
# pytest's, and any failure fails `make test`. `make unit` is the same pytest run in one
# process.
TEST_WORKERS ?= 2
test: venv sysdeps
	@log=$$(mktemp); \
	( $(VENV)/bin/mesotron check --exhaustive --quiet \
	  && $(VENV)/bin/mesotron check --exhaustive --quiet --failovers 1 --agent-restarts 0 \
	  && $(PY) tla/run.py --sim-traces-only ) >"$$log" 2>&1 & checks=$$!; \
	echo "$(PY) -m pytest -q -m \"not chaos\" -n $(TEST_WORKERS) --dist loadfile tests  (explorer and TLC beside it, pid $$checks)"; \
	$(PY) -m pytest -q -m "not chaos" -n $(TEST_WORKERS) --dist loadfile tests; rc=$$?; \
	wait $$checks; crc=$$?; cat "$$log"; rm -f "$$log"; \
	echo "pytest exit $$rc, explorer and TLC exit $$crc"; \
	test $$rc -eq 0 -a $$crc -eq 0

unit: venv
	$(PY) -m pytest -q -m "not chaos" tests

tla: venv sysdeps
	$(PY) tla/run.py

lint: venv
	$(VENV)/bin/ruff check core io spec tests bench
	$(VENV)/bin/mypy core

bench: venv
	$(PY) bench/allocator.py --agents 10000 --frameworks 1000

fuzz: venv
	$(VENV)/bin/mesotron sim --seeds $${SEEDS:-1000} --events $${EVENTS:-20000} --faults all --progress

# regenerate docs/ui/*.png (a real cluster, Debian's chromium)
ui-screenshots: venv sysdeps
	$(PY) docs/ui/screenshots.py
# a Jepsen-style campaign in network namespaces (root): 3 ZooKeeper servers, 3 masters
# behind relays, 5 agents, 1,000 tasks under 25 faults (delay/loss/duplication/reordering
# among them); prints the report directory. Then the heavier lab tests (`-m chaos`: more
# partition cases, more planted bugs)
chaos: venv sysdeps
	$(VENV)/bin/mesotron lab chaos --seed $${SEED:-1} --tasks $${TASKS:-1000} --faults $${FAULTS:-25} --relay
	$(PY) -m pytest -q -m chaos tests/test_lab_network.py tests/test_lab_planted.py

# mutation campaign over the protocol modules, the simulator as the only judge (minutes;
# not part of `make test`, which runs a smoke of the machinery in tests/test_sim_mutate.py)
mutate: venv
	nice $(PY) -m mesotron.core.sim.mutate --sample $${SAMPLE:-300} --seed $${SEED:-0} --seeds $${SEEDS:-3} --events $${EVENTS:-3000} --jobs $${JOBS:-2} --json mutate-report.json

clean:
	rm -rf $(VENV) build *.egg-info
