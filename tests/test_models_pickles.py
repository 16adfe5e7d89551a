"""Pickled checkpoints are described and graded without ever being loaded."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tutela.media.blob import Blob
from tutela.media.limits import DEFAULT_LIMITS
from tutela.models.inspect import inspect_model
from tutela.models.limits import ModelLimits
from tutela.models.pickle_walk import walk
from tutela.models.pickles import read_pickles
from tutela.testing import models as tm


def _inspect(path: Path, fmt: str) -> dict[str, object]:
    return inspect_model(Blob.from_path(str(path)), fmt, str(path)).data


def test_torch_zip_checkpoint_is_described(tmp_path: Path) -> None:
    path = tm.write_torch_zip(
        tmp_path / "sd.ckpt",
        {"state_dict": tm.state_dict(tm.layout("sd1")), "epoch": 3, "global_step": 1000},
    )
    data = _inspect(path, "torch-zip")
    assert (data["kind"], data["architecture"]) == ("checkpoint", "sd1")
    pickle_facts = data["pickle"]
    assert isinstance(pickle_facts, dict)
    assert pickle_facts["verdict"] == "clean"
    assert pickle_facts["fields"] == [
        {"key": "epoch", "value": 3},
        {"key": "global_step", "value": 1000},
    ]
    assert pickle_facts["storage_members"] == 4
    assert data["problems"] == []


def test_legacy_torch_stream_is_described(tmp_path: Path) -> None:
    path = tm.write_torch_legacy(tmp_path / "old.pt", tm.state_dict(tm.layout("sd2")))
    data = _inspect(path, "torch-legacy")
    assert (data["kind"], data["architecture"]) == ("checkpoint", "sd2")
    assert data["pickle"]["verdict"] == "clean"  # type: ignore[index]


def test_textual_inversion_pt_names_its_checkpoint(tmp_path: Path) -> None:
    path = tm.write_torch_zip(
        tmp_path / "style.pt",
        {
            "string_to_param": {"*": ("tensor", (2, 768))},
            "name": "style",
            "sd_checkpoint": "7460a6fa",
            "sd_checkpoint_name": "base-model",
        },
    )
    data = _inspect(path, "torch-zip")
    assert (data["kind"], data["architecture"]) == ("embedding", "sd1")
    assert {"key": "sd_checkpoint", "value": "7460a6fa"} in data["pickle"]["fields"]  # type: ignore[index]


def test_planted_pickle_never_runs(tmp_path: Path) -> None:
    """A checkpoint that creates a file when loaded: tutela scans and lists it; no file."""
    marker = tmp_path / "payload-ran"
    ckpt = tm.write_planted_checkpoint(tmp_path / "drive" / "model.ckpt", marker)
    raw = tmp_path / "drive" / "raw.pkl"
    raw.write_bytes(tm.planted_pickle(marker))
    db = tmp_path / "t.db"
    for args in (
        ["scan", str(tmp_path / "drive"), "--db", str(db), "--case", "c", "--workers", "2"],
        ["models", "--db", str(db), "--case", "c", "--json"],
        ["models", "inventory", str(tmp_path / "drive"), "--json"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "tutela", *args], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        assert not marker.exists()
    data = _inspect(ckpt, "torch-zip")
    assert data["pickle"]["verdict"] == "dangerous"  # type: ignore[index]
    assert {"module": "io", "name": "open", "safety": "dangerous"} in data["pickle"]["imports"]  # type: ignore[index]
    assert "dangerous-pickle" in [p["kind"] for p in data["problems"]]  # type: ignore[union-attr]
    assert not marker.exists()
    # Control: loading the same bytes really runs the payload, so the test above can fail.
    loader = (
        "import pickle, sys, zipfile; "
        "pickle.loads(zipfile.ZipFile(sys.argv[1]).read('archive/data.pkl'))"
    )
    subprocess.run([sys.executable, "-c", loader, str(ckpt)], check=True, timeout=60)
    assert marker.exists()


def test_walk_imports_nothing() -> None:
    before = set(sys.modules)
    walked = walk(io.BytesIO(tm.planted_pickle(Path("/nonexistent/x"))), 10_000)
    assert set(sys.modules) == before
    assert [str(g) for g in walked.globals] == ["io.open"]


def test_pickle_member_bomb_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "bomb.ckpt"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("archive/data.pkl", b"\x80\x02" + b"(" * (40 * 1024 * 1024))
    with path.open("rb") as fh:
        report = read_pickles(
            fh, "torch-zip", path.stat().st_size, str(path), DEFAULT_LIMITS, ModelLimits()
        )
    kinds = [p.kind for p in report.problems]
    assert "archive-bomb" in kinds and "pickle-unscannable" in kinds
    assert report.verdict == "unscanned"


def test_declared_size_bomb_is_reported(tmp_path: Path) -> None:
    path = tm.write_torch_zip(tmp_path / "m.ckpt", tm.state_dict(tm.layout("sd1")))
    raw = bytearray(path.read_bytes())
    # Rewrite one central-directory entry's uncompressed size to 64 GiB.
    cd = raw.rindex(
        b"PK\x01\x02" + raw[raw.index(b"PK\x01\x02") + 4 : raw.index(b"PK\x01\x02") + 8]
    )
    raw[cd + 24 : cd + 28] = (0xFFFFFFF0).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with path.open("rb") as fh:
        report = read_pickles(fh, "torch-zip", len(raw), str(path), DEFAULT_LIMITS, ModelLimits())
    assert "archive-bomb" in [p.kind for p in report.problems]


def test_too_many_opcodes_is_unscanned_not_exhausting(tmp_path: Path) -> None:
    data = b"\x80\x02" + b"N0" * 50_000 + b"N."
    report = read_pickles(
        io.BytesIO(data), "pickle", len(data), "x", DEFAULT_LIMITS, ModelLimits(max_pickle_ops=1000)
    )
    assert report.verdict == "unscanned"


@pytest.mark.parametrize(
    "data",
    [b"\x80\x02}q\x00(", b"\x80\x02c\x00\x00", b"\x80\x05\x95" + b"\xff" * 20, b"\x80\x02h\x09."],
)
def test_malformed_pickles_are_findings(data: bytes) -> None:
    report = read_pickles(io.BytesIO(data), "pickle", len(data), "x", DEFAULT_LIMITS, ModelLimits())
    assert report.problems
    assert report.verdict in {"unscanned", "suspicious", "dangerous"}
