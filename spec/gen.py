"""Regenerate the checked-in protobuf modules: `python -m mesotron.spec.gen` (or
`python spec/gen.py`). Needs grpcio-tools (the pinned protoc). tests/test_spec_generated.py
runs `generate()` into a temp dir and fails when the checked-in files are stale."""

from __future__ import annotations

import pathlib
import shutil
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
PROTOS = ("mesos.proto", "scheduler.proto", "executor.proto", "master.proto", "agent.proto",
          "internal.proto")


def generate(out_dir: pathlib.Path) -> list[pathlib.Path]:
    """Generate <name>_pb2.py and <name>_pb2.pyi for every proto into out_dir."""
    from grpc_tools import protoc  # type: ignore[import-not-found]

    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        pkg = root / "mesotron" / "spec"
        pkg.mkdir(parents=True)
        for name in PROTOS:
            shutil.copyfile(HERE / name, pkg / name)
        gen = root / "out"
        gen.mkdir()
        args = ["protoc", f"-I{root}", f"--python_out={gen}", f"--pyi_out={gen}"]
        args += [f"mesotron/spec/{n}" for n in PROTOS]
        rc = protoc.main(args)
        if rc != 0:
            raise RuntimeError(f"protoc failed with {rc}")
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for f in sorted((gen / "mesotron" / "spec").iterdir()):
            shutil.copyfile(f, out_dir / f.name)
            written.append(out_dir / f.name)
        return written


if __name__ == "__main__":
    for p in generate(HERE):
        print(p.relative_to(HERE.parent))
    sys.exit(0)
