"""Model artefacts are recognised by content and become items of their own kind."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tutela.engine.local import PipelineSpec, run_task
from tutela.engine.tasks import FileTask, ZipSliceTask, plan
from tutela.media.sniff import Sniffed, sniff
from tutela.testing import models as tm
from tutela.testing.synth import encode, landscape

WORKFLOW = {"last_node_id": 2, "last_link_id": 0, "nodes": [], "links": []}
API_GRAPH = {
    "4": {"inputs": {"ckpt_name": "base.safetensors"}, "class_type": "CheckpointLoaderSimple"}
}
KOHYA_TOML = """\
pretrained_model_name_or_path = "C:\\\\models\\\\base.safetensors"
train_data_dir = "D:/data/train"
output_name = "mountain-style"
"""
DATASET_TOML = """\
[general]
caption_extension = '.txt'

[[datasets]]
resolution = 512

  [[datasets.subsets]]
  image_dir = 'D:/data/10_landscape'
  num_repeats = 10
"""
MODEL_INDEX = {
    "_class_name": "StableDiffusionXLPipeline",
    "_diffusers_version": "0.30.0",
    "unet": ["diffusers", "UNet2DConditionModel"],
}


def _write_all(root: Path) -> dict[str, Sniffed]:
    tm.write_safetensors(root / "lora.safetensors", tm.layout("sd1", "lora"))
    tm.write_torch_zip(root / "model.ckpt", tm.state_dict(tm.layout("sd1")))
    tm.write_torch_legacy(root / "old.pt", tm.state_dict(tm.layout("sd1")))
    (root / "raw.pkl").write_bytes(tm.planted_pickle(root / "never"))
    (root / "workflow.json").write_text(json.dumps(WORKFLOW))
    (root / "prompt.json").write_text(json.dumps(API_GRAPH, indent=2))
    (root / "train.toml").write_text(KOHYA_TOML)
    (root / "dataset.toml").write_text(DATASET_TOML)
    (root / "model_index.json").write_text(json.dumps(MODEL_INDEX))
    (root / "notes.json").write_text(json.dumps({"hello": "world"}))
    return {
        "lora.safetensors": Sniffed("model", "safetensors"),
        "model.ckpt": Sniffed("model", "torch-zip"),
        "old.pt": Sniffed("model", "torch-legacy"),
        "raw.pkl": Sniffed("model", "pickle"),
        "workflow.json": Sniffed("model-config", "comfyui-workflow"),
        "prompt.json": Sniffed("model-config", "comfyui-prompt"),
        "train.toml": Sniffed("model-config", "kohya-config"),
        "dataset.toml": Sniffed("model-config", "kohya-config"),
        "model_index.json": Sniffed("model-config", "diffusers-index"),
        "notes.json": Sniffed("other", "unknown"),
    }


def test_sniffs_every_artefact(tmp_path: Path) -> None:
    for name, expected in _write_all(tmp_path).items():
        assert sniff((tmp_path / name).read_bytes()[:512]) == expected, name


def test_gguf_and_hostile_safetensors_heads() -> None:
    assert sniff(b"GGUF\x03\x00\x00\x00" + bytes(16)) == Sniffed("model", "gguf")
    absurd = b"\xff" * 8 + b'{"x": 1}'
    assert sniff(absurd) == Sniffed("model", "safetensors")
    text = b'abcdefgh{"x": 1}'  # printable "length": a text file, not a model
    assert sniff(text).kind != "model"


def test_scan_records_model_items_and_signals(tmp_path: Path) -> None:
    expected = _write_all(tmp_path)
    pipeline = PipelineSpec().build()
    seen = {}
    for task in plan([str(tmp_path)], {}):
        for result in run_task(pipeline, task):
            seen[Path(result.path).name] = result
    for name, sniffed in expected.items():
        item = seen[name].item
        assert item is not None and (item.kind, item.format) == (sniffed.kind, sniffed.format)
        if sniffed.kind != "other":
            assert [s.name for s in item.signals] == [
                "model" if sniffed.kind == "model" else "model_config"
            ]


def test_torch_zip_is_one_model_not_an_archive_to_walk(tmp_path: Path) -> None:
    """A checkpoint has one zip member per storage; it must not be split or walked."""
    shapes = {f"model.diffusion_model.b.{i}.weight": (2, 2) for i in range(100)}
    tm.write_torch_zip(tmp_path / "big.ckpt", tm.state_dict(shapes))
    tasks = list(plan([str(tmp_path)], {}))
    assert tasks == [
        FileTask(str(tmp_path / "big.ckpt"), str(tmp_path / "big.ckpt"), tasks[0].fingerprint)
    ]
    results = run_task(PipelineSpec().build(), tasks[0])
    assert len(results) == 1 and results[0].item is not None
    assert results[0].item.kind == "model"


def test_ordinary_zip_is_still_split_and_walked(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as zf:
        for i in range(70):
            zf.writestr(f"img{i}.jpg", encode(landscape(i, 64, 48)))
    tasks = list(plan([str(tmp_path)], {}))
    assert any(isinstance(t, ZipSliceTask) for t in tasks)


def test_models_inside_an_archive_are_found(tmp_path: Path) -> None:
    lora = tm.write_safetensors(tmp_path / "src" / "lora.safetensors", tm.layout("sdxl", "lora"))
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w") as zf:
        zf.write(lora, "loras/lora.safetensors")
    [task] = list(plan([str(tmp_path / "bundle.zip")], {}))
    results = run_task(PipelineSpec().build(), task)
    member = next(r for r in results if r.path.endswith("lora.safetensors"))
    assert member.item is not None and member.item.kind == "model"
    [signal] = member.item.signals
    assert (signal.data["kind"], signal.data["architecture"]) == ("lora", "sdxl")


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("truncated.safetensors", None, "truncated"),
        ("absurd.safetensors", b"\xff" * 8 + b'{"a": 1}', "header-too-large"),
    ],
)
def test_hostile_model_files_are_recorded_errors(
    tmp_path: Path, name: str, content: bytes | None, kind: str
) -> None:
    if content is None:
        full = tm.write_safetensors(tmp_path / "full.safetensors", tm.layout("sd1")).read_bytes()
        content = full[:200]
        (tmp_path / "full.safetensors").unlink()
    (tmp_path / name).write_bytes(content)
    [task] = list(plan([str(tmp_path / name)], {}))
    [result] = run_task(PipelineSpec().build(), task)
    out = result.to_json()
    assert out["kind"] == "model"
    assert out["error"]["kind"] == kind
    assert out["model"]["hashes"]["sha256"] == out["sha256"]
