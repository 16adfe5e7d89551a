"""Tiny, structurally real model artefacts for tests and benchmarks.

Safetensors files are written by the ``safetensors`` library from numpy arrays whose
names and shapes follow the real layouts (only the widths inference needs are real;
other dimensions are tiny). Torch checkpoints are written by Python's own ``pickle``
and ``zipfile`` in the exact layout ``torch.save`` uses, without torch: while pickling,
stand-in ``torch`` modules make the pickler emit the genuine ``torch._utils``/
``torch.FloatStorage`` globals. Training metadata uses benign tags only.
"""

from __future__ import annotations

import io
import json
import pickle
import sys
import types
import zipfile
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

Shapes = Mapping[str, tuple[int, ...]]

BENIGN_TAGS = {"10_landscape": {"landscape": 3, "mountain": 3, "lake": 2, "sky": 1}}


def layout(arch: str, kind: str = "checkpoint") -> dict[str, tuple[int, ...]]:
    """Tensor names and shapes that identify ``arch`` (sd1, sd2, sdxl, sd3, flux) and ``kind``."""
    if kind == "lora":
        return _lora(arch)
    if kind == "embedding":
        if arch == "sdxl":
            return {"clip_l": (2, 768), "clip_g": (2, 1280)}
        return {"emb_params": (2, 1024 if arch == "sd2" else 768)}
    unet = "model.diffusion_model."
    shapes: dict[str, tuple[int, ...]] = {}
    if arch in ("sd1", "sd2", "sdxl"):
        width = {"sd1": 768, "sd2": 1024, "sdxl": 2048}[arch]
        block = "input_blocks.4.1" if arch == "sdxl" else "input_blocks.1.1"
        shapes[f"{unet}input_blocks.0.0.weight"] = (8, 4, 3, 3)
        shapes[f"{unet}{block}.transformer_blocks.0.attn2.to_k.weight"] = (8, width)
        if arch == "sdxl":
            shapes[f"{unet}label_emb.0.0.weight"] = (8, 16)
            shapes["conditioner.embedders.1.model.token_embedding.weight"] = (8, 1280)
        elif arch == "sd2":
            shapes["cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight"] = (8, 8)
        else:
            shapes["cond_stage_model.transformer.text_model.embeddings.token_embedding.weight"] = (
                8,
                768,
            )
        shapes["first_stage_model.decoder.conv_in.weight"] = (8, 4, 3, 3)
    elif arch == "sd3":
        shapes[f"{unet}joint_blocks.0.x_block.attn.qkv.weight"] = (24, 8)
        shapes[f"{unet}joint_blocks.0.context_block.attn.qkv.weight"] = (24, 8)
    elif arch == "flux":
        shapes["double_blocks.0.img_attn.qkv.weight"] = (24, 8)
        shapes["single_blocks.0.linear1.weight"] = (24, 8)
        shapes["img_in.weight"] = (8, 64)
        shapes["guidance_in.in_layer.weight"] = (8, 256)
    else:
        raise ValueError(f"unknown architecture {arch!r}")
    return shapes


def _lora(arch: str) -> dict[str, tuple[int, ...]]:
    rank = 4
    shapes: dict[str, tuple[int, ...]] = {}
    if arch == "flux":
        modules = {
            "lora_unet_double_blocks_0_img_attn_proj": 8,
            "lora_unet_single_blocks_0_linear1": 8,
        }
    elif arch == "sdxl":
        modules = {
            "lora_unet_input_blocks_4_1_transformer_blocks_0_attn2_to_k": 2048,
            "lora_te1_text_model_encoder_layers_0_mlp_fc1": 768,
            "lora_te2_text_model_encoder_layers_0_mlp_fc1": 1280,
        }
    else:
        width = 1024 if arch == "sd2" else 768
        modules = {
            "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k": width,
            "lora_te_text_model_encoder_layers_0_mlp_fc1": width,
        }
    for module, width in modules.items():
        shapes[f"{module}.lora_down.weight"] = (rank, width)
        shapes[f"{module}.lora_up.weight"] = (8, rank)
        shapes[f"{module}.alpha"] = ()
    return shapes


def kohya_metadata(
    output_name: str = "mountain-style",
    folders: Mapping[str, Mapping[str, int]] = BENIGN_TAGS,
    base_model: str = "base-model.safetensors",
    base_sha256: str | None = None,
    arch: str = "sd1",
) -> dict[str, str]:
    """``ss_*`` metadata the way sd-scripts writes it (all values strings)."""
    dirs = {
        name: {"n_repeats": int(name.split("_", 1)[0]) if name[0].isdigit() else 1, "img_count": 3}
        for name in folders
    }
    meta = {
        "ss_output_name": output_name,
        "ss_network_module": "networks.lora",
        "ss_network_dim": "4",
        "ss_network_alpha": "2.0",
        "ss_num_train_images": str(sum(d["n_repeats"] * d["img_count"] for d in dirs.values())),
        "ss_dataset_dirs": json.dumps(dirs),
        "ss_tag_frequency": json.dumps({k: dict(v) for k, v in folders.items()}),
        "ss_training_comment": "benign test model",
        "ss_training_started_at": "1700000000.25",
        "ss_training_finished_at": "1700003600.75",
        "ss_base_model_version": {"sdxl": "sdxl_base_v1-0", "sd2": "sd_v2"}.get(arch, "sd_v1"),
        "ss_sd_model_name": base_model,
    }
    if base_sha256:
        meta["ss_new_sd_model_hash"] = base_sha256
    return meta


def write_safetensors(
    path: Path,
    shapes: Shapes,
    metadata: Mapping[str, str] | None = None,
    alpha: float = 2.0,
    min_bytes: int = 0,
    seed: int = 0,
) -> Path:
    """Write ``shapes`` as F16 tensors (scalars named ``*.alpha`` hold ``alpha``)."""
    from safetensors.numpy import save_file

    rng = np.random.default_rng(seed)
    tensors: dict[str, np.ndarray[Any, Any]] = {
        name: (
            np.array(alpha, dtype=np.float16)
            if name.endswith(".alpha")
            else rng.standard_normal(shape).astype(np.float16)
        )
        for name, shape in shapes.items()
    }
    size = sum(t.nbytes for t in tensors.values())
    if size < min_bytes:  # pad with one more tensor so the file passes a size threshold
        tensors["model.diffusion_model.padding.weight"] = rng.integers(
            0, 255, min_bytes - size, dtype=np.uint8
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=dict(metadata) if metadata else None)
    return path


# -- torch checkpoints without torch ---------------------------------------------------


class _Storage:
    def __init__(self, key: str, numel: int, dtype: type) -> None:
        self.key, self.numel, self.dtype = key, numel, dtype


@contextmanager
def _torch_stand_ins() -> Iterator[types.SimpleNamespace]:
    """Modules named ``torch`` and ``torch._utils`` just long enough to pickle with their names."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*_args: Any) -> Any:  # pragma: no cover - never called
        raise RuntimeError("stand-in: never loaded")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2  # type: ignore[attr-defined]
    storages = {}
    for name in ("FloatStorage", "HalfStorage"):
        storage_type = type(name, (), {"__module__": "torch"})
        setattr(torch, name, storage_type)
        storages[name] = storage_type
    torch._utils = utils  # type: ignore[attr-defined]
    saved = {name: sys.modules.get(name) for name in ("torch", "torch._utils")}
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    try:
        yield types.SimpleNamespace(rebuild=_rebuild_tensor_v2, **storages)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def torch_pickle(obj: Any, protocol: int = 2) -> tuple[bytes, list[_Storage]]:
    """Pickle a nested dict holding ``("tensor", shape)`` markers like ``torch.save`` does."""
    storages: list[_Storage] = []
    with _torch_stand_ins() as torch:

        class Tensor:
            def __init__(self, shape: tuple[int, ...]) -> None:
                numel = int(np.prod(shape)) if shape else 1
                self.storage = _Storage(str(len(storages)), numel, torch.HalfStorage)
                storages.append(self.storage)
                self.shape = shape

            def __reduce__(self) -> Any:
                stride = tuple(int(np.prod(self.shape[i + 1 :])) for i in range(len(self.shape)))
                return (torch.rebuild, (self.storage, 0, self.shape, stride, False, OrderedDict()))

        def convert(value: Any) -> Any:
            if isinstance(value, tuple) and value[:1] == ("tensor",):
                return Tensor(value[1])
            if isinstance(value, dict):
                return OrderedDict((k, convert(v)) for k, v in value.items())
            return value

        class Pickler(pickle.Pickler):
            def persistent_id(self, value: Any) -> Any:
                if isinstance(value, _Storage):
                    return ("storage", value.dtype, value.key, "cpu", value.numel)
                return None

        buf = io.BytesIO()
        Pickler(buf, protocol=protocol).dump(convert(obj))
    return buf.getvalue(), storages


def state_dict(shapes: Shapes) -> dict[str, Any]:
    return {name: ("tensor", shape) for name, shape in shapes.items()}


def write_torch_zip(path: Path, obj: Any, archive: str = "archive") -> Path:
    """A checkpoint in ``torch.save``'s zip layout (``data.pkl`` first, storages stored)."""
    data, storages = torch_pickle(obj)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{archive}/data.pkl", data)
        zf.writestr(f"{archive}/byteorder", "little")
        for storage in storages:
            zf.writestr(f"{archive}/data/{storage.key}", bytes(2 * storage.numel))
        zf.writestr(f"{archive}/version", "3\n")
        zf.writestr(f"{archive}/.data/serialization_id", "0" * 40)
    return path


def write_torch_legacy(path: Path, obj: Any) -> Path:
    """A checkpoint in ``torch.save``'s pre-1.6 layout: five pickles, then raw storages."""
    magic = 0x1950A86A20F9469CFC6C
    data, storages = torch_pickle(obj)
    parts = [
        pickle.dumps(magic, protocol=2),
        pickle.dumps(1001, protocol=2),
        pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2),
        data,
        pickle.dumps([s.key for s in storages], protocol=2),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(parts) + b"".join(bytes(8 + 2 * s.numel) for s in storages))
    return path


class _WritesFile:
    """Unpickling this calls ``open(target, "w")``: harmless, but proof that loading ran code."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self) -> Any:
        return (open, (self.target, "w"))


def planted_pickle(target: Path, protocol: int = 4) -> bytes:
    """A pickle that, if anything ever loaded it, would create ``target``."""
    return pickle.dumps({"state_dict": {}, "payload": _WritesFile(str(target))}, protocol=protocol)


def write_planted_checkpoint(path: Path, target: Path) -> Path:
    """A ``.ckpt`` zip whose ``data.pkl`` would create ``target`` when loaded."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("archive/data.pkl", planted_pickle(target, protocol=2))
        zf.writestr("archive/version", "3\n")
    return path
