"""The detector plugin contract, exercised with a tiny ONNX model the test builds."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image

from tutela.provenance import InspectOptions, inspect_bytes
from tutela.provenance.detectors import DetectorError, ModelCard, load_detector, preprocess
from tutela.testing.synth import encode


def tiny_model(path: Path) -> None:
    """logit = 8 * (mean(red) - mean(blue)) over a 1×3×8×8 input: red images score high."""
    import onnx
    from onnx import TensorProto, helper

    weights = helper.make_tensor("w", TensorProto.FLOAT, [1, 3, 1, 1], [8.0, 0.0, -8.0])
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["x"], ["avg"]),
            helper.make_node("Mul", ["avg", "w"], ["weighted"]),
            helper.make_node("ReduceSum", ["weighted"], ["logit"], keepdims=0),
        ],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("logit", TensorProto.FLOAT, [1])],
        [weights],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))


def card(tmp_path: Path, **changes: object) -> Path:
    model = tmp_path / "tiny.onnx"
    tiny_model(model)
    data = {
        "name": "tiny-red",
        "version": "0.1",
        "model": "tiny.onnx",
        "sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
        "runtime": "onnx",
        "input": {"size": [8, 8], "layout": "NCHW", "scale": 1 / 255},
        "output": {"kind": "logit", "index": 0},
        "threshold": 0.9,
        "intended_use": "testing the plugin contract only",
        "limitations": "detects red, not AI",
        **changes,
    }
    path = tmp_path / "card.json"
    path.write_text(json.dumps(data))
    return path


def solid(colour: tuple[int, int, int]) -> bytes:
    return encode(Image.new("RGB", (64, 64), colour), "PNG")


def test_score_above_threshold_is_weak_likely_ai(tmp_path: Path) -> None:
    detector = load_detector(card(tmp_path))
    options = InspectOptions(watermark=False, detectors=(detector,))
    red = inspect_bytes(solid((250, 10, 10)), options=options)
    assert red.status == "likely-ai"
    evidence = next(e for e in red.evidence if e.source == "detector:tiny-red")
    assert evidence.strength == "weak" and evidence.data["score"] > 0.99
    blue = inspect_bytes(solid((10, 10, 250)), options=options)
    assert blue.status == "no-evidence"
    assert next(e for e in blue.evidence if e.kind == "detector-score").data["score"] < 0.01


def test_card_is_validated(tmp_path: Path) -> None:
    with pytest.raises(DetectorError, match="does not match"):
        load_detector(card(tmp_path, sha256="0" * 64))
    with pytest.raises(DetectorError, match="lacks"):
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({"name": "x"}))
        ModelCard.load(bad)
    with pytest.raises(DetectorError, match="no plugin"):
        load_detector(card(tmp_path, runtime="entry-point:missing"))


def test_preprocess_follows_the_card() -> None:
    batch = preprocess(Image.new("RGB", (20, 10), (255, 0, 0)), {"size": [4, 6], "layout": "NHWC"})
    assert batch.shape == (1, 4, 6, 3) and batch[0, 0, 0, 0] == pytest.approx(1.0)


def test_inspect_cli_with_detector(tmp_path: Path) -> None:
    import subprocess
    import sys

    image = tmp_path / "red.png"
    image.write_bytes(solid((250, 10, 10)))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tutela",
            "inspect",
            str(image),
            "--json",
            "--detector",
            str(card(tmp_path)),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "likely-ai"


def test_entry_point_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A detector shipped as a package registers a factory in the ``tutela.detectors`` group."""
    site = tmp_path / "site"
    info = site / "tutela_fake_detector-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: tutela-fake-detector\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(
        "[tutela.detectors]\nbrightness = fake_detector:factory\n"
    )
    (site / "fake_detector.py").write_text(
        "import numpy as np\n"
        "class Bright:\n"
        "    def __init__(self, card):\n"
        "        self.card = card\n"
        "    def score(self, image):\n"
        "        return float(np.asarray(image.convert('L')).mean() / 255)\n"
        "def factory(card):\n"
        "    return Bright(card)\n"
    )
    monkeypatch.syspath_prepend(str(site))
    detector = load_detector(card(tmp_path, runtime="entry-point:brightness", threshold=0.5))
    options = InspectOptions(watermark=False, detectors=(detector,))
    assert inspect_bytes(solid((250, 250, 250)), options=options).status == "likely-ai"
    assert inspect_bytes(solid((5, 5, 5)), options=options).status == "no-evidence"
