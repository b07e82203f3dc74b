"""The checked-in protobuf modules are exactly what the pinned protoc makes of spec/*.proto."""

from __future__ import annotations

import pathlib

import pytest

SPEC = pathlib.Path(__file__).resolve().parent.parent / "spec"


def test_generated_modules_are_fresh(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("grpc_tools")
    import importlib.util

    spec = importlib.util.spec_from_file_location("_mesotron_spec_gen", SPEC / "gen.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    written = gen.generate(tmp_path)
    assert {p.name for p in written} == {
        f"{n[:-6]}_pb2{ext}" for n in gen.PROTOS for ext in (".py", ".pyi")
    }
    stale = [p.name for p in written if p.read_bytes() != (SPEC / p.name).read_bytes()]
    assert not stale, f"stale generated modules (run `python spec/gen.py`): {stale}"


def test_every_proto_has_a_module() -> None:
    protos = {p.stem for p in SPEC.glob("*.proto")}
    mods = {p.name[: -len("_pb2.py")] for p in SPEC.glob("*_pb2.py")}
    assert protos == mods
