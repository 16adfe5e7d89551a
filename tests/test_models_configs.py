"""Workflows and training configs: which models and folders they name."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tutela.media.blob import Blob
from tutela.media.limits import DEFAULT_LIMITS
from tutela.models.configs import comfyui_references, kohya_config, read_config
from tutela.models.limits import ModelLimits
from tutela.models.locations import read_small_files, split
from tutela.models.pickles import read_pickles


def test_api_graph_loaders_by_input_name() -> None:
    graph = {
        "1": {
            "class_type": "CheckpointLoaderSimple",
            "inputs": {"ckpt_name": "sd\\\\base.safetensors"},
        },
        "2": {
            "class_type": "LoraLoader",
            "inputs": {"lora_name": "a.safetensors", "model": ["1", 0]},
        },
        "3": {"class_type": "UnetLoaderGGUF", "inputs": {"unet_name": "flux1-dev-Q4_K.gguf"}},
        "4": {
            "class_type": "DualCLIPLoader",
            "inputs": {"clip_name1": "t5.safetensors", "clip_name2": "l.safetensors"},
        },
        "5": {
            "class_type": "Power Lora Loader (rgthree)",
            "inputs": {
                "lora_1": {"on": True, "lora": "b.safetensors"},
                "lora_2": {"on": False, "lora": "c.safetensors"},
            },
        },
        "6": {
            "class_type": "CLIPTextEncode",
            "inputs": {"text": "mountain, embedding:style-x, lake"},
        },
        "7": {"class_type": "KSampler", "inputs": {"seed": 1, "model": ["2", 0]}},
    }
    refs = {(r["role"], r["name"]) for r in comfyui_references(graph)}
    assert refs == {
        ("checkpoint", "sd\\\\base.safetensors"),
        ("lora", "a.safetensors"),
        ("unet", "flux1-dev-Q4_K.gguf"),
        ("clip", "t5.safetensors"),
        ("clip", "l.safetensors"),
        ("lora", "b.safetensors"),
        ("embedding", "style-x"),
    }


def test_ui_workflow_widgets_and_model_hashes() -> None:
    workflow = {
        "last_node_id": 3,
        "nodes": [
            {
                "id": 1,
                "type": "CheckpointLoaderSimple",
                "widgets_values": ["base.safetensors"],
                "properties": {
                    "models": [
                        {
                            "name": "base.safetensors",
                            "hash": "ABCDEF0123",
                            "hash_type": "AutoV2",
                            "directory": "checkpoints",
                        }
                    ]
                },
            },
            {"id": 2, "type": "LoraLoader", "widgets_values": ["a.safetensors", 0.8, 1.0]},
            {"id": 3, "type": "Note", "widgets_values": ["see base.safetensors for details"]},
        ],
        "links": [],
    }
    refs = comfyui_references(workflow)
    assert {(r["role"], r["name"], r.get("hash")) for r in refs} == {
        ("checkpoint", "base.safetensors", None),
        ("checkpoint", "base.safetensors", "abcdef0123"),
        ("lora", "a.safetensors", None),
    }


def test_kohya_gui_json_and_sectioned_toml() -> None:
    gui = {
        "LoRA_type": "Standard",
        "pretrained_model_name_or_path": "C:\\\\models\\\\base.safetensors",
        "train_data_dir": "C:\\\\data\\\\img",
        "output_name": "mountain-style",
        "network_dim": 8,
    }
    parsed = kohya_config(gui)
    assert parsed["base_model_name"] == "base.safetensors"
    assert parsed["dataset_folders"] == [{"path": "C:\\\\data\\\\img", "name": "img"}]
    assert parsed["output_name"] == "mountain-style"
    sectioned = kohya_config(
        {
            "model_arguments": {"pretrained_model_name_or_path": "/m/x.ckpt"},
            "saving_arguments": {"output_name": "y"},
        }
    )
    assert (sectioned["base_model_name"], sectioned["output_name"]) == ("x.ckpt", "y")


def test_read_config_reports_bad_text(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_bytes(
        b'{"last_node_id": 1, "nodes": [], "links": [], "x": "\\xff"}'.replace(b"\\xff", b"\xff")
    )
    parsed = read_config(Blob.from_path(str(path)), "comfyui-workflow", str(path))
    assert [p.kind for p in parsed.problems] == ["non-utf8"]
    assert parsed.data["references"] == []


def test_split_and_nested_archive_reads(tmp_path: Path) -> None:
    assert split("/a/b/c.txt") == ("/a/b", "c.txt")
    assert split("/a/x.zip!/d/c.txt") == ("/a/x.zip!/d", "c.txt")
    assert split("/a/x.zip!/c.txt") == ("/a/x.zip", "c.txt")
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("set/img0.txt", "landscape, lake")
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.writestr("inner.zip", inner.getvalue())
        zf.writestr("top.txt", "mountain")
    (tmp_path / "plain.txt").write_text("sky")
    wanted = [
        f"{outer}!/inner.zip!/set/img0.txt",
        f"{outer}!/top.txt",
        str(tmp_path / "plain.txt"),
        str(tmp_path / "gone.txt"),
    ]
    texts = read_small_files(wanted, 1024)
    assert texts == {
        wanted[0]: b"landscape, lake",
        wanted[1]: b"mountain",
        wanted[2]: b"sky",
    }


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=200), protocol=st.integers(min_value=2, max_value=5))
def test_arbitrary_pickle_bytes_never_crash(body: bytes, protocol: int) -> None:
    data = bytes([0x80, protocol]) + body
    report = read_pickles(
        io.BytesIO(data), "pickle", len(data), "fuzz", DEFAULT_LIMITS, ModelLimits()
    )
    assert report.verdict in {"clean", "suspicious", "dangerous", "unscanned"}
    json.dumps(report.to_json())
