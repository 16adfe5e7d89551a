"""Video provenance: C2PA in MP4, generator metadata in container tags, status as for images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tutela.engine.scan import scan
from tutela.media.blob import Blob
from tutela.store import open_store
from tutela.store.models import Signal
from tutela.testing.provenance import BENIGN_PROMPT, manifest, sign_c2pa, signing_chain
from tutela.testing.video import scene_frames, write_video
from tutela.video.analyse import analyse_file
from tutela.video.provenance import inspect_video


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("prov")
    return write_video(folder / "plain.mp4", scene_frames([1, 2], 1.0))


def inspect(path: Path) -> dict[str, object]:
    blob = Blob.from_path(str(path), load_limit=10**9)
    fmt = "mov" if path.suffix == ".mov" else "mp4"
    return inspect_video(blob, fmt, str(path), analyse_file(str(path))).to_json()


def test_plain_video_has_no_evidence(plain: Path) -> None:
    result = inspect(plain)
    assert result["status"] == "no-evidence"
    assert "never a verdict" in str(result["notice"])


def test_signed_c2pa_declaration_in_mp4(plain: Path, tmp_path: Path) -> None:
    signed = sign_c2pa(plain.read_bytes(), "video/mp4", signing_chain(), manifest(title="clip.mp4"))
    path = tmp_path / "signed.mp4"
    path.write_bytes(signed)
    result = inspect(path)
    assert result["status"] == "declared-ai"
    sources = {e["source"] for e in result["evidence"]}  # type: ignore[attr-defined]
    assert "c2pa" in sources
    assert analyse_file(str(path)).frames, "the signed file still decodes"


def test_generator_named_in_a_tool_tag(tmp_path: Path) -> None:
    path = write_video(
        tmp_path / "tagged.mp4",
        scene_frames([3], 1.0),
        container_options={"movflags": "use_metadata_tags"},
        metadata={"software": "Sora"},
    )
    result = inspect(path)
    assert result["status"] == "declared-ai"
    (evidence,) = [e for e in result["evidence"] if e["source"] == "video-metadata"]  # type: ignore[attr-defined]
    assert evidence["data"]["tool"] == "OpenAI Sora" and evidence["strength"] == "embedded"


def test_comfyui_graph_in_the_comment_tag(tmp_path: Path) -> None:
    graph = {
        "3": {
            "class_type": "KSampler",
            "inputs": {
                "seed": 7,
                "steps": 20,
                "cfg": 7.0,
                "sampler_name": "euler",
                "scheduler": "normal",
                "positive": ["6", 0],
                "negative": ["7", 0],
                "model": ["4", 0],
            },
        },
        "4": {
            "class_type": "CheckpointLoaderSimple",
            "inputs": {"ckpt_name": "svd_xt.safetensors"},
        },
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": BENIGN_PROMPT}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry"}},
    }
    comment = json.dumps({"prompt": json.dumps(graph)})
    path = write_video(
        tmp_path / "comfy.mp4", scene_frames([4], 1.0), metadata={"comment": comment}
    )
    result = inspect(path)
    assert result["status"] == "declared-ai"
    assert any(g["tool"].lower().startswith("comfyui") for g in result["generators"])  # type: ignore[attr-defined]
    assert any(p["text"] == BENIGN_PROMPT for p in result["prompts"])  # type: ignore[attr-defined]


def test_scan_records_video_provenance(plain: Path, tmp_path: Path) -> None:
    signed = tmp_path / "in" / "signed.mp4"
    signed.parent.mkdir()
    signed.write_bytes(sign_c2pa(plain.read_bytes(), "video/mp4", signing_chain(), manifest()))
    store = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    summary = scan(store, [str(signed.parent)], "prov", workers=1)
    assert summary.stages["provenance"]["synthetic_status"].get("declared-ai") == 1
    with store.session() as session:
        data = session.scalar(select(Signal.data).where(Signal.name == "provenance"))
    assert data is not None and data["status"] == "declared-ai"
