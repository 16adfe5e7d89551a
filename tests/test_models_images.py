"""Images whose generator metadata names models are linked to the model files.

The first tests feed the stage the provenance signal's documented JSON (its
``ModelRef`` contract); the last one runs the real provenance analyser on PNGs
carrying A1111 and ComfyUI metadata, then ``tutela inspect --db``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import select

from tutela.engine.scan import scan
from tutela.models import queries
from tutela.models.provenance_refs import image_references
from tutela.models.stage import run as run_stage
from tutela.store.db import Store, open_store
from tutela.store.models import Case, Item, Signal
from tutela.testing import models as tm
from tutela.testing.synth import encode, landscape


def _models(root: Path) -> dict[str, str]:
    """A checkpoint, a LoRA and an embedding; returns the hashes images would name."""
    base = tm.write_safetensors(root / "base.safetensors", tm.layout("sd1"), min_bytes=2 << 20)
    lora = tm.write_safetensors(
        root / "lora.safetensors",
        tm.layout("sd1", "lora"),
        tm.kohya_metadata(output_name="mountain-style"),
    )
    emb = tm.write_safetensors(root / "style.safetensors", tm.layout("sd1", "embedding"))
    base_raw, lora_raw = base.read_bytes(), lora.read_bytes()
    lora_header = int.from_bytes(lora_raw[:8], "little")
    return {
        "base_autov2": hashlib.sha256(base_raw).hexdigest()[:10],
        "base_legacy": hashlib.sha256(base_raw[0x100000:0x110000]).hexdigest()[:8],
        "base_sha256": hashlib.sha256(base_raw).hexdigest(),
        "lora_hash": hashlib.sha256(lora_raw[8 + lora_header :]).hexdigest()[:12],
        "ti_hash": hashlib.sha256(emb.read_bytes()).hexdigest()[:12],
    }


def _signal(model_refs: list[dict[str, Any]], tool: str = "AUTOMATIC1111") -> dict[str, Any]:
    return {"status": "declared-ai", "generators": [{"tool": tool, "models": model_refs}]}


def _ref(role: str, name: str | None, value: str | None) -> dict[str, Any]:
    return {
        "name": name,
        "hash": value,
        "hash_kind": None,
        "role": role,
        "weight": None,
        "where": "png-text:parameters",
    }


def test_image_references_read_the_model_ref_contract() -> None:
    refs = image_references(
        _signal(
            [
                _ref("checkpoint", "base", "ABCDEF0123"),
                _ref("lora", "x", "blake3:" + "a" * 64),
                _ref("vae", None, None),
                {"role": "lora"},
            ]
        )
    )
    assert [(r.role, r.name, r.hash, r.source) for r in refs] == [
        ("checkpoint", "base", "abcdef0123", "AUTOMATIC1111"),
        ("lora", "x", "a" * 64, "AUTOMATIC1111"),
    ]


def _store_with_images(tmp_path: Path, url: str) -> tuple[Store, int, list[str]]:
    for i in range(5):
        (tmp_path / "out" / f"{i}.png").parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "out" / f"{i}.png").write_bytes(encode(landscape(100 + i, 64, 48), "PNG"))
    store = open_store(url)
    scan(store, [str(tmp_path)], "c", workers=1)
    with store.session() as session:
        case_id = session.scalar(select(Case.id).where(Case.name == "c"))
        images = sorted(session.scalars(select(Item.sha256).where(Item.kind == "image")))
    assert case_id is not None
    return store, case_id, images


def test_links_by_every_hash_form(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tutela.models.stage.IMAGE_BATCH", 2)  # exercise batched writes
    hashes = _models(tmp_path / "models")
    store, case_id, images = _store_with_images(tmp_path, store_url)
    signals = [
        _signal(
            [
                _ref("checkpoint", "renamed-base", hashes["base_autov2"]),
                _ref("lora", "mountain-style", hashes["lora_hash"]),
            ]
        ),
        _signal(
            [
                _ref("checkpoint", "old", hashes["base_legacy"]),
                _ref("embedding", "style", hashes["ti_hash"]),
            ]
        ),
        _signal(
            [
                _ref("checkpoint", None, hashes["base_sha256"]),
                _ref("lora", "elsewhere", "0123456789ab"),
            ],
            tool="InvokeAI",
        ),
        _signal([_ref("lora", "lora.safetensors", None)], tool="ComfyUI"),
        _signal([_ref("checkpoint", "base.safetensors", "ffffffffff")]),
    ]
    with store.transaction() as session:
        for sha, data in zip(images, signals, strict=True):
            session.merge(Signal(item_sha256=sha, name="provenance", version="1", data=data))
    summary = run_stage(store, case_id)
    # the "elsewhere" LoRA, and the LoRA's own base model (named, not on the drive)
    assert summary["unresolved_references"] == 2
    with store.session() as session:
        models = {
            Path(m["paths"][0]).name: m
            for m in queries.list_models(session, "c")
            if m["record"] == "file"
        }
        missing = list(queries.list_missing(session, "c"))
        links = queries.links_for_item(session, images[0], "c")
    methods = {
        name: sorted(link["method"] for image in m["linked_images"] for link in image["links"])
        for name, m in models.items()
    }
    assert methods == {
        "base.safetensors": ["autov1", "autov2", "file-name", "sha256"],
        "lora.safetensors": ["autov3[:12]", "file-name"],
        "style.safetensors": ["sha256[:12]"],
    }
    assert [(m["role"], m["name"], m["hash"]) for m in missing] == [
        ("base-model", "base-model.safetensors", None),
        ("lora", "elsewhere", "0123456789ab"),
    ]
    assert {Path(link["paths"][0]).name for link in links} == {
        "base.safetensors",
        "lora.safetensors",
    }


@pytest.mark.parametrize("generator", ["a1111", "comfyui"])
def test_real_generator_metadata_links(tmp_path: Path, generator: str) -> None:
    hashes = _models(tmp_path / "models")
    info = PngInfo()
    if generator == "a1111":
        info.add_text(
            "parameters",
            "mountain lake, <lora:mountain-style:0.8>, style\nNegative prompt: blurry\n"
            f"Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x48, "
            f"Model hash: {hashes['base_autov2']}, Model: renamed-base, "
            f'Lora hashes: "mountain-style: {hashes["lora_hash"]}", '
            f'TI hashes: "style: {hashes["ti_hash"]}", Version: v1.9.4',
        )
    else:
        graph = {
            "4": {
                "class_type": "CheckpointLoaderSimple",
                "inputs": {"ckpt_name": "base.safetensors"},
            },
            "5": {
                "class_type": "LoraLoader",
                "inputs": {
                    "lora_name": "lora.safetensors",
                    "model": ["4", 0],
                    "strength_model": 0.8,
                },
            },
            "3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20, "model": ["5", 0]}},
        }
        info.add_text("prompt", json.dumps(graph))
    image = tmp_path / "out" / "generated.png"
    image.parent.mkdir()
    landscape(7, 64, 48).save(image, pnginfo=info)
    store = open_store(f"sqlite:///{tmp_path / 't.db'}")
    scan(store, [str(tmp_path)], "c", workers=1)
    with store.session() as session:
        image_sha = hashlib.sha256(image.read_bytes()).hexdigest()
        linked = {
            Path(link["paths"][0]).name for link in queries.links_for_item(session, image_sha)
        }
    expected = {"base.safetensors", "lora.safetensors"}
    if generator == "a1111":
        expected.add("style.safetensors")
    assert linked == expected
    # tutela inspect shows the same links for the file
    from typer.testing import CliRunner

    from tutela.cli import app

    db = f"{tmp_path / 't.db'}"
    done = CliRunner().invoke(
        app, ["inspect", str(image), "--db", db, "--case", "c", "--no-watermark", "--json"]
    )
    assert done.exit_code == 0, done.output
    shown = json.loads(done.stdout.splitlines()[0])["model_links"]
    assert {Path(link["paths"][0]).name for link in shown} == expected
    human = (
        CliRunner(env={"COLUMNS": "200"})
        .invoke(app, ["inspect", str(image), "--db", db, "--no-watermark"])
        .stdout
    )
    assert "model links" in human and "generated-with" in human
