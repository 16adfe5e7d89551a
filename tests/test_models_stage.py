"""The models stage on a benign "drive": training sets, configs, workflows, base models."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tutela.engine.scan import scan
from tutela.models import queries
from tutela.store.db import open_store
from tutela.testing import models as tm
from tutela.testing.synth import encode, landscape

CAPTIONS = ["landscape, mountain, lake", "landscape, Mountain, lake, sky", " landscape ,mountain"]
OTHER_CAPTIONS = ["city, street, night", "city, car, street"]


def _kohya_counts(captions: list[str]) -> dict[str, int]:
    """kohya's set_tag_frequency, written out independently."""
    counts: Counter[str] = Counter()
    for caption in captions:
        for tag in caption.split(","):
            if tag.strip():
                counts[tag.strip().lower()] += 1
    return dict(counts)


def _captioned(folder: Path, captions: list[str], seed: int = 0, suffix: str = ".txt") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, caption in enumerate(captions):
        (folder / f"img{i}.png").write_bytes(encode(landscape(seed + i, 64, 48), "PNG"))
        (folder / f"img{i}{suffix}").write_text(caption)


def build_drive(root: Path) -> dict[str, Any]:
    base = tm.write_safetensors(
        root / "models" / "base.safetensors", tm.layout("sd1"), min_bytes=2 << 20
    )
    base_sha = hashlib.sha256(base.read_bytes()).hexdigest()
    tags = _kohya_counts(CAPTIONS)
    lora = tm.write_safetensors(
        root / "models" / "lora.safetensors",
        tm.layout("sd1", "lora"),
        tm.kohya_metadata(folders={"10_landscape": tags}, base_sha256=base_sha),
    )
    _captioned(root / "train" / "10_landscape", CAPTIONS)
    _captioned(root / "renamed", CAPTIONS, seed=10, suffix=".caption")
    _captioned(root / "city", OTHER_CAPTIONS, seed=20)
    (root / "notes").mkdir()
    (root / "notes" / "photo.png").write_bytes(encode(landscape(30, 64, 48), "PNG"))
    (root / "notes" / "photo.txt").write_text("landscape, mountain, lake")
    (root / "configs").mkdir()
    (root / "configs" / "train.toml").write_text(
        'pretrained_model_name_or_path = "C:/sd/base.safetensors"\n'
        'output_name = "mountain-style"\n\n[[datasets]]\n[[datasets.subsets]]\n'
        'image_dir = "D:/train/10_landscape"\nnum_repeats = 10\n'
    )
    workflow = {
        "4": {
            "inputs": {"ckpt_name": "sd15/base.safetensors"},
            "class_type": "CheckpointLoaderSimple",
        },
        "10": {
            "inputs": {"lora_name": "lora.safetensors", "strength_model": 0.8},
            "class_type": "LoraLoader",
        },
        "11": {"inputs": {"lora_name": "gone.safetensors"}, "class_type": "LoraLoader"},
        "6": {
            "inputs": {"text": "landscape, embedding:absent-style"},
            "class_type": "CLIPTextEncode",
        },
    }
    (root / "workflow.json").write_text(json.dumps(workflow, indent=2))
    return {"base": base, "base_sha": base_sha, "lora": lora}


def _by_path(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {Path(r["paths"][0]).name: r for r in records if r["record"] == "file"}


@pytest.fixture
def scanned(tmp_path: Path, store_url: str) -> tuple[Any, dict[str, Any], Path]:
    drive = tmp_path / "drive"
    facts = build_drive(drive)
    store = open_store(store_url)
    summary = scan(store, [str(drive)], "case1", workers=1)
    facts["summary"] = summary
    return store, facts, drive


def test_stage_summary_and_training_sets(scanned: tuple[Any, dict[str, Any], Path]) -> None:
    store, facts, _ = scanned
    assert facts["summary"].stages["models"] == {
        "models": 2,
        "dangerous_pickles": 0,
        "training_sets": 3,  # 10_landscape, renamed, city; not notes/ (one image)
        "diffusers_folders": 0,
        "links": facts["summary"].stages["models"]["links"],
        "unresolved_references": 2,  # gone.safetensors, embedding absent-style
    }
    with store.session() as session:
        sets = {Path(s["path"]).name: s for s in queries.list_training_sets(session, "case1")}
    assert set(sets) == {"10_landscape", "renamed", "city"}
    kohya = sets["10_landscape"]
    assert (kohya["repeats"], kohya["concept"], kohya["images"], kohya["captions"]) == (
        10,
        "landscape",
        3,
        3,
    )
    assert {t["tag"]: t["count"] for t in kohya["tags"]} == _kohya_counts(CAPTIONS)
    assert sets["city"]["linked_models"] == []


def test_lora_links(scanned: tuple[Any, dict[str, Any], Path]) -> None:
    store, facts, _ = scanned
    with store.session() as session:
        models = _by_path(list(queries.list_models(session, "case1")))
    lora = models["lora.safetensors"]
    assert (lora["kind"], lora["architecture"]) == ("lora", "sd1")
    linked = {Path(t["training_set"]["path"]).name: t for t in lora["linked_training_sets"]}
    assert set(linked) == {"10_landscape", "renamed"}
    assert {link["method"] for link in linked["10_landscape"]["links"]} == {
        "dataset-folder-name",
        "kohya-config",
    }
    [renamed] = linked["renamed"]["links"]
    assert renamed["method"] == "tag-frequency" and renamed["score"] == 1.0
    [base] = lora["base_models"]
    assert (base["sha256"], base["method"]) == (facts["base_sha"], "sha256")
    named = {(Path(n["paths"][0]).name, n["method"]) for n in lora["named_in"]}
    assert named == {("train.toml", "output-name"), ("workflow.json", "file-name")}
    base_model = models["base.safetensors"]
    assert {Path(d["paths"][0]).name for d in base_model["derived_models"]} == {"lora.safetensors"}
    assert {Path(n["paths"][0]).name for n in base_model["named_in"]} == {
        "train.toml",
        "workflow.json",
    }


def test_missing_references_are_listed(scanned: tuple[Any, dict[str, Any], Path]) -> None:
    store, _, _ = scanned
    with store.session() as session:
        missing = list(queries.list_missing(session, "case1"))
    assert [(m["role"], m["name"]) for m in missing] == [
        ("embedding", "absent-style"),
        ("lora", "gone.safetensors"),
    ]
    assert Path(missing[1]["named_by"][0]["paths"][0]).name == "workflow.json"


def test_stage_is_idempotent(scanned: tuple[Any, dict[str, Any], Path]) -> None:
    store, facts, drive = scanned
    with store.session() as session:
        before = list(queries.list_models(session, "case1"))
    again = scan(store, [str(drive)], "case1", workers=1)
    assert again.processed == 0
    assert again.stages["models"] == facts["summary"].stages["models"]
    with store.session() as session:
        after = list(queries.list_models(session, "case1"))
    assert json.dumps(after, sort_keys=True, default=str) == json.dumps(
        before, sort_keys=True, default=str
    )


def test_training_set_inside_an_archive(tmp_path: Path) -> None:
    source = tmp_path / "src"
    _captioned(source / "10_landscape", CAPTIONS)
    archive = tmp_path / "dataset.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted((source / "10_landscape").iterdir()):
            zf.write(path, f"train/10_landscape/{path.name}")
    tm.write_safetensors(
        tmp_path / "lora.safetensors",
        tm.layout("sdxl", "lora"),
        tm.kohya_metadata(folders={"whatever": _kohya_counts(CAPTIONS)}, arch="sdxl"),
    )
    store = open_store(f"sqlite:///{tmp_path / 't.db'}")
    scan(store, [str(archive), str(tmp_path / "lora.safetensors")], "zip", workers=1)
    with store.session() as session:
        [training_set] = list(queries.list_training_sets(session, "zip"))
    assert training_set["path"] == f"{archive}!/train/10_landscape"
    assert training_set["captions"] == 3
    [link] = training_set["linked_models"]
    assert link["method"] == "tag-frequency"


def test_embedding_names_its_checkpoint_by_legacy_hash(tmp_path: Path) -> None:
    base = tm.write_safetensors(tmp_path / "base.safetensors", tm.layout("sd1"), min_bytes=2 << 20)
    raw = base.read_bytes()
    legacy = hashlib.sha256(raw[0x100000:0x110000]).hexdigest()[:8]
    tm.write_torch_zip(
        tmp_path / "style.pt",
        {
            "string_to_param": {"*": ("tensor", (2, 768))},
            "sd_checkpoint": legacy,
            "sd_checkpoint_name": "renamed-base",
        },
    )
    store = open_store(f"sqlite:///{tmp_path / 't.db'}")
    scan(store, [str(tmp_path)], "ti", workers=1)
    with store.session() as session:
        models = _by_path(list(queries.list_models(session, "ti")))
    [base_link] = models["style.pt"]["base_models"]
    assert (Path(base_link["paths"][0]).name, base_link["method"]) == ("base.safetensors", "autov1")


def test_diffusers_folder(tmp_path: Path) -> None:
    pipeline = tmp_path / "my-diffusers-model"
    (pipeline / "unet").mkdir(parents=True)
    (pipeline / "model_index.json").write_text(
        json.dumps(
            {
                "_class_name": "StableDiffusionPipeline",
                "_diffusers_version": "0.25.0",
                "unet": ["diffusers", "UNet2DConditionModel"],
                "safety_checker": [None, None],
            }
        )
    )
    (pipeline / "unet" / "config.json").write_text(
        json.dumps(
            {
                "_class_name": "UNet2DConditionModel",
                "_diffusers_version": "0.25.0",
                "cross_attention_dim": 1024,
            }
        )
    )
    tm.write_safetensors(
        pipeline / "unet" / "diffusion_pytorch_model.safetensors",
        {"down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight": (8, 1024)},
    )
    (tmp_path / "train.toml").write_text(
        'pretrained_model_name_or_path = "/models/my-diffusers-model"\noutput_name = "x"\n'
    )
    store = open_store(f"sqlite:///{tmp_path / 't.db'}")
    summary = scan(store, [str(tmp_path)], "dif", workers=1)
    assert summary.stages["models"]["diffusers_folders"] == 1
    with store.session() as session:
        [folder] = [r for r in queries.list_models(session, "dif") if r["record"] == "folder"]
    assert (folder["architecture"], folder["class_name"]) == ("sd2", "StableDiffusionPipeline")
    assert {c["component"] for c in folder["components"]} == {"unet"}
    [named] = folder["named_by"]
    assert Path(named["paths"][0]).name == "train.toml"
