"""What a model is, from its tensor names and shapes (and, as a fallback, its metadata).

Tensor layouts are what loaders themselves key on (A1111 ``sd_models_config``,
ComfyUI ``model_detection``, kohya's LoRA loaders): the cross-attention context
width separates SD 1.x (768), SD 2.x (1024) and SDXL (2048; refiner 1280), block
names separate SD3 (``joint_blocks``) and FLUX (``double_blocks``/``single_blocks``),
and adapter suffixes separate LoRA (``lora_down``/``lora_A``), LyCORIS (``hada_``,
``lokr_``) and textual-inversion embeddings. Metadata (``modelspec.architecture``,
``ss_base_model_version``) is only used when the tensors do not decide, and a
disagreement is reported rather than resolved silently.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tutela.models.safetensors import TensorInfo

CONTEXT_WIDTHS = {768: "sd1", 1024: "sd2", 2048: "sdxl", 1280: "sdxl"}
TEXT_WIDTHS = {768: "sd1", 1024: "sd2", 1280: "sdxl"}
IMAGE_GGUF_ARCHS = {"flux", "sd1", "sdxl", "sd3", "aura", "hidream", "chroma", "lumina2"}
IMAGE_GGUF_ARCHS |= {"hyvid", "ltxv", "wan", "cosmos", "qwen_image"}

_ATTN2_K = re.compile(r"attn2\.to_k\.weight$")
_ADAPTER_ATTN2_K = re.compile(r"attn2[._](?:processor[._])?to_k")
_FLUX_MARKERS = ("double_blocks", "single_blocks", "single_transformer_blocks")
_PREFIXES = ("state_dict.", "module.", "model.diffusion_model.", "diffusion_model.")


@dataclass
class Identity:
    """Kind (checkpoint, lora, ...), architecture (sd1 ... flux) and the evidence for both."""

    kind: str = "unknown"
    architecture: str = "unknown"
    variant: str | None = None
    layout: str | None = None
    evidence: list[str] = field(default_factory=list)
    adapter: dict[str, Any] = field(default_factory=dict)
    embedding: dict[str, Any] = field(default_factory=dict)
    alpha_tensors: list[TensorInfo] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "architecture": self.architecture,
            "variant": self.variant,
            "layout": self.layout,
            "evidence": self.evidence,
        }
        if self.adapter:
            out["adapter"] = self.adapter
        if self.embedding:
            out["embedding"] = self.embedding
        return out


def identify(
    tensors: Sequence[TensorInfo], metadata: dict[str, Any], fmt: str = "safetensors"
) -> Identity:
    """Infer kind and architecture; never raises."""
    names = {t.name: t for t in tensors}
    ident = Identity()
    if fmt == "gguf":
        _gguf_hint(metadata, ident)
    if ident.kind == "language-model":
        return ident
    if not (_adapter(names, ident) or _embedding(names, ident)):
        _full_model(names, ident)
    _metadata_fallback(metadata, ident)
    return ident


# -- adapters ----------------------------------------------------------------------------


def _adapter(names: dict[str, TensorInfo], ident: Identity) -> bool:
    keys = list(names)
    networks = Counter[str]()
    for key in keys:
        if ".lora_down." in key or ".lora_up." in key:
            networks["lora"] += 1
        elif ".lora_A." in key or ".lora_B." in key or "lora.down." in key or "_lora.down." in key:
            networks["lora (peft/diffusers)"] += 1
        elif ".hada_w1_a" in key:
            networks["loha"] += 1
        elif ".lokr_w1" in key:
            networks["lokr"] += 1
        elif ".oft_blocks" in key or ".oft_diag" in key:
            networks["oft"] += 1
    if not networks:
        return False
    network = networks.most_common(1)[0][0]
    ident.kind = "lycoris" if network in {"loha", "lokr", "oft"} else "lora"
    ranks = Counter[int]()
    modules = set()
    for key, tensor in names.items():
        down = re.search(r"(.*)\.(lora_down|lora_A|lora\.down|hada_w1_b)\.weight$", key)
        if down and tensor.shape:
            modules.add(down.group(1))
            ranks[tensor.shape[0]] += 1
        elif key.endswith(".alpha") and not tensor.shape:
            ident.alpha_tensors.append(tensor)
    ident.adapter = {
        "network": network,
        "modules": len(modules) or None,
        "rank": ranks.most_common(1)[0][0] if ranks else None,
        "ranks": sorted(ranks),
        "alpha": None,
    }
    ident.layout = "kohya" if any(k.startswith(("lora_unet_", "lora_te")) for k in keys) else None
    ident.layout = ident.layout or ("diffusers" if network.startswith("lora (") else None)
    _adapter_architecture(names, ident)
    return True


def _adapter_architecture(names: dict[str, TensorInfo], ident: Identity) -> None:
    keys = list(names)
    if any(marker in k for k in keys for marker in _FLUX_MARKERS):
        ident.architecture = "flux"
        ident.evidence.append("adapter targets FLUX double/single blocks")
        return
    if any("joint_blocks" in k or "context_block" in k for k in keys):
        ident.architecture = "sd3"
        ident.evidence.append("adapter targets SD3 joint blocks")
        return
    if any(k.startswith(("lora_te1_", "lora_te2_")) for k in keys):
        ident.architecture = "sdxl"
        ident.evidence.append("two text-encoder prefixes (lora_te1_/lora_te2_)")
        return
    for key, tensor in names.items():
        down = key.endswith(("lora_down.weight", "lora_A.weight", "lora.down.weight"))
        if down and _ADAPTER_ATTN2_K.search(key) and len(tensor.shape) >= 2:
            width = tensor.shape[1]
            if width in CONTEXT_WIDTHS:
                ident.architecture = CONTEXT_WIDTHS[width]
                ident.evidence.append(f"cross-attention input width {width}")
                return
    for key, tensor in names.items():
        if key.startswith("lora_te_") and "lora_down" in key and "mlp_fc1" in key:
            width = tensor.shape[-1] if tensor.shape else 0
            if width in TEXT_WIDTHS:
                ident.architecture = TEXT_WIDTHS[width]
                ident.evidence.append(f"text-encoder width {width} ({key})")
                return


# -- embeddings --------------------------------------------------------------------------


def _embedding(names: dict[str, TensorInfo], ident: Identity) -> bool:
    keys = set(names)
    if keys and keys <= {"clip_l", "clip_g"}:
        ident.kind, ident.architecture = "embedding", "sdxl"
        ident.evidence.append("clip_l/clip_g vectors (SDXL textual inversion)")
        ident.embedding = {"vectors": _rows(names.get("clip_l") or names["clip_g"])}
        return True
    params = [n for n in keys if n == "emb_params" or n.startswith("string_to_param.")]
    if not params or len(keys) > 8:
        return False
    tensor = names[params[0]]
    width = tensor.shape[-1] if tensor.shape else 0
    ident.kind = "embedding"
    ident.embedding = {"vectors": _rows(tensor), "width": width}
    if width in TEXT_WIDTHS:
        ident.architecture = "sd2" if width == 1024 else "sd1"
        ident.evidence.append(f"embedding width {width}")
    return True


def _rows(tensor: TensorInfo) -> int:
    return tensor.shape[0] if len(tensor.shape) > 1 else 1


# -- full models and components --------------------------------------------------------


def _unwrap(name: str) -> str:
    """Drop training-container prefixes (Lightning ``state_dict.``, DataParallel ``module.``)."""
    for prefix in _PREFIXES[:2]:
        if name.startswith(prefix):
            return _unwrap(name[len(prefix) :])
    return name


def _strip(name: str) -> str:
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return _strip(name[len(prefix) :])
    return name


def _full_model(names: dict[str, TensorInfo], ident: Identity) -> None:
    raw = [_unwrap(k) for k in names]
    bare = {_strip(k): t for k, t in names.items()}
    has_vae = any(k.startswith(("first_stage_model.", "vae.")) for k in raw)
    has_te = any(k.startswith(("cond_stage_model.", "conditioner.", "text_encoders.")) for k in raw)
    ident.layout = "original" if any(k.startswith("model.diffusion_model.") for k in raw) else None
    if any(k.startswith(("control_model.", "controlnet_cond_embedding.")) for k in raw) or any(
        k.startswith("input_hint_block.") for k in bare
    ):
        ident.kind = "controlnet"
        _unet_width(bare, ident)
        return
    if "double_blocks.0.img_attn.qkv.weight" in bare or any(
        k.startswith("single_transformer_blocks.") for k in bare
    ):
        ident.architecture = "flux"
        guidance = "guidance_in.in_layer.weight" in bare or any(
            k.startswith("time_text_embed.guidance_embedder") for k in bare
        )
        ident.variant = "dev" if guidance else "schnell"
        ident.evidence.append("FLUX double/single stream blocks")
        ident.evidence.append("guidance embedding present" if guidance else "no guidance embedding")
        ident.layout = ident.layout or (
            "diffusers" if any(k.startswith("single_transformer_blocks.") for k in bare) else "bfl"
        )
    elif any(k.startswith("joint_blocks.") for k in bare) or (
        "pos_embed.proj.weight" in bare and any(".attn.add_q_proj." in k for k in bare)
    ):
        ident.architecture = "sd3"
        ident.evidence.append("SD3 joint (MMDiT) blocks")
    elif any(k.startswith(("input_blocks.", "down_blocks.")) for k in bare):
        if any(k.startswith("down_blocks.") for k in bare):
            ident.layout = ident.layout or "diffusers"
        _unet_width(bare, ident)
        first = bare.get("input_blocks.0.0.weight") or bare.get("conv_in.weight")
        if first is not None and len(first.shape) == 4 and first.shape[1] == 9:
            ident.variant = "inpainting"
            ident.evidence.append("UNet takes 9 input channels (inpainting)")
    elif _vae(bare, ident) or _text_encoder(bare, ident):
        return
    else:
        return
    ident.kind = "checkpoint" if has_vae or has_te else "diffusion-model"
    if has_vae or has_te:
        parts = ["VAE"] * has_vae + ["text encoder"] * has_te
        ident.evidence.append("bundles " + " and ".join(parts))
    if ident.architecture == "unknown" and has_te:
        _text_width(names, ident)


def _unet_width(bare: dict[str, TensorInfo], ident: Identity) -> None:
    for key, tensor in bare.items():
        if _ATTN2_K.search(key) and len(tensor.shape) == 2 and tensor.shape[1] in CONTEXT_WIDTHS:
            width = tensor.shape[1]
            ident.architecture = CONTEXT_WIDTHS[width]
            if width == 1280:
                ident.variant = "refiner"
            ident.evidence.append(f"cross-attention context width {width}")
            return
    if any(k.startswith(("label_emb.", "add_embedding.")) for k in bare):
        ident.architecture = "sdxl"
        ident.evidence.append("size/crop conditioning embedding (SDXL)")


def _text_width(names: dict[str, TensorInfo], ident: Identity) -> None:
    keys = [_unwrap(k) for k in names]
    if any(k.startswith("cond_stage_model.model.transformer.resblocks.") for k in keys):
        ident.architecture = "sd2"
        ident.evidence.append("OpenCLIP text encoder (SD 2.x)")
    elif any(k.startswith("cond_stage_model.transformer.text_model.") for k in keys):
        ident.architecture = "sd1"
        ident.evidence.append("CLIP ViT-L text encoder (SD 1.x)")


def _vae(bare: dict[str, TensorInfo], ident: Identity) -> bool:
    conv = bare.get("decoder.conv_in.weight")
    if conv is None or not any(k.startswith("encoder.") for k in bare):
        return False
    ident.kind = "vae"
    channels = conv.shape[1] if len(conv.shape) == 4 else 0
    ident.variant = f"{channels}-channel latent"
    ident.evidence.append(
        f"autoencoder with {channels} latent channels"
        + (" (SD 1.x/2.x/XL family)" if channels == 4 else " (SD3/FLUX family)")
    )
    return True


def _text_encoder(bare: dict[str, TensorInfo], ident: Identity) -> bool:
    embed = bare.get("text_model.embeddings.token_embedding.weight")
    if embed is not None and len(embed.shape) == 2:
        ident.kind = "text-encoder"
        ident.variant = {768: "clip-l", 1024: "clip-h", 1280: "clip-g"}.get(
            embed.shape[1], f"clip ({embed.shape[1]} wide)"
        )
        ident.evidence.append(f"CLIP text model, width {embed.shape[1]}")
        return True
    if any(k.startswith("encoder.block.0.layer.0.SelfAttention") for k in bare):
        ident.kind, ident.variant = "text-encoder", "t5"
        ident.evidence.append("T5 encoder blocks")
        return True
    return False


# -- metadata ----------------------------------------------------------------------------

_SPEC_ARCHS = (
    ("stable-diffusion-xl", "sdxl"),
    ("stable-diffusion-v3", "sd3"),
    ("stable-diffusion-3", "sd3"),
    ("stable-diffusion-v2", "sd2"),
    ("stable-diffusion-v1", "sd1"),
    ("flux", "flux"),
)
_KOHYA_ARCHS = (
    ("sdxl", "sdxl"),
    ("sd_v2", "sd2"),
    ("sd_v1", "sd1"),
    ("sd3", "sd3"),
    ("flux", "flux"),
)


def metadata_architecture(metadata: dict[str, Any]) -> tuple[str, str] | None:
    """(architecture, which key said so) from ``modelspec.architecture``/``ss_*`` keys."""
    spec = str(metadata.get("modelspec.architecture", "")).lower()
    for prefix, arch in _SPEC_ARCHS:
        if spec.startswith(prefix):
            return arch, "modelspec.architecture"
    base = str(metadata.get("ss_base_model_version", "")).lower()
    for prefix, arch in _KOHYA_ARCHS:
        if base.startswith(prefix):
            return arch, "ss_base_model_version"
    if str(metadata.get("ss_v2", "")) == "True":
        return "sd2", "ss_v2"
    return None


def _metadata_fallback(metadata: dict[str, Any], ident: Identity) -> None:
    claimed = metadata_architecture(metadata)
    if claimed is None:
        return
    arch, key = claimed
    if ident.architecture == "unknown":
        ident.architecture = arch
        ident.evidence.append(f"{key} says {arch} (tensors did not decide)")
    elif ident.architecture != arch:
        ident.evidence.append(f"{key} says {arch}, but the tensors say {ident.architecture}")


def _gguf_hint(metadata: dict[str, Any], ident: Identity) -> None:
    arch = str(metadata.get("general.architecture", "")).lower()
    if not arch:
        return
    if arch in IMAGE_GGUF_ARCHS:
        ident.evidence.append(f"general.architecture is {arch}")
        if arch in {"flux", "sd1", "sdxl", "sd3"}:
            ident.architecture = arch
        else:
            ident.architecture, ident.variant = "unknown", arch
        return
    ident.kind, ident.architecture = "language-model", "unknown"
    ident.variant = arch
    ident.evidence.append(f"general.architecture is {arch} (a language model)")
