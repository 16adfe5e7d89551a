"""Recognise a file by its leading bytes, never by its name.

Names lie (a PNG called ``.jpg``, an archive called ``.dat``); the content decides
how a file is processed, and a name that disagrees is reported as a warning.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import PurePosixPath

SNIFF_BYTES = 512


@dataclass(frozen=True)
class Sniffed:
    kind: str  # image | video | archive | model | model-config | other
    format: str  # jpeg, png, zip, mp4, safetensors, ... or "unknown"


_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}
_QT_BRANDS = {b"qt  "}


def sniff(head: bytes) -> Sniffed:
    """Classify content from its first bytes (``SNIFF_BYTES`` is plenty)."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image", "gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", "webp")
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Sniffed("video", "avi")
    if head[:2] == b"BM" and len(head) >= 26:
        return Sniffed("image", "bmp")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed("image", "tiff")
    if len(head) >= 12 and head[4:8] == b"ftyp":
        major = head[8:12]
        size = struct.unpack(">I", head[:4])[0]
        brands = {major} | {head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
        if major in _AVIF_BRANDS:
            return Sniffed("image", "avif")
        if major in _HEIF_BRANDS:
            return Sniffed("image", "heif")
        if brands & _AVIF_BRANDS and not brands & {b"isom", b"mp41", b"mp42"}:
            return Sniffed("image", "avif")
        if brands & _HEIF_BRANDS and not brands & {b"isom", b"mp41", b"mp42"}:
            return Sniffed("image", "heif")
        if major in _QT_BRANDS:
            return Sniffed("video", "mov")
        return Sniffed("video", "mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("video", "webm" if b"webm" in head[:64] else "mkv")
    model = _sniff_model(head)
    if model is not None:
        return model
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return Sniffed("archive", "zip")
    if head[:2] == b"\x1f\x8b":
        return Sniffed("archive", "gzip")
    if len(head) >= 262 and head[257:262] == b"ustar":
        return Sniffed("archive", "tar")
    return _sniff_model_config(head) or Sniffed("other", "unknown")


# Legacy ``torch.save`` files open with a pickled magic number (0x1950a86a20f9469cfc6c).
_TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."
# Opcodes that can follow a pickle's PROTO header in real files (FRAME, containers,
# globals, memo, ints): a third byte check keeps random ``\x80\x02`` files out.
_PICKLE_SECOND_OPCODES = frozenset(b"\x95}]()cq\x8a\x8c\x94NKJM\x88\x89X")


def _sniff_model(head: bytes) -> Sniffed | None:
    """Model weights: safetensors, GGUF, torch zip archives and (legacy) pickles."""
    if head[:4] == b"GGUF":
        return Sniffed("model", "gguf")
    if len(head) >= 10 and head[8:9] == b"{" and _plausible_safetensors(head):
        return Sniffed("model", "safetensors")
    if head.startswith(_TORCH_LEGACY_MAGIC):
        return Sniffed("model", "torch-legacy")
    if (
        len(head) >= 3
        and head[0] == 0x80
        and 2 <= head[1] <= 5
        and (head[2] in _PICKLE_SECOND_OPCODES)
    ):
        return Sniffed("model", "pickle")
    if head[:4] == b"PK\x03\x04" and len(head) >= 30:
        # torch.save (>= 1.6) writes a zip whose first member is ``<name>/data.pkl``.
        name_len = struct.unpack("<H", head[26:28])[0]
        first = head[30 : 30 + name_len]
        if first == b"data.pkl" or first.endswith(b"/data.pkl"):
            return Sniffed("model", "torch-zip")
    return None


def _plausible_safetensors(head: bytes) -> bool:
    """An 8-byte little-endian header length, then a JSON object.

    Absurd lengths are still recognised (and reported by the model analyser) unless
    the length bytes are printable text, which means a text file with a ``{`` at 8.
    """
    rest = head[9:].lstrip(b" \t\r\n")
    if rest[:1] not in (b'"', b"}"):
        return False
    length = struct.unpack("<Q", head[:8])[0]
    if length < 2:
        return False
    return length < 1 << 40 or not all(32 <= b < 127 for b in head[:8])


_COMFY_API_GRAPH = re.compile(rb'^\{\s*"[^"]{1,64}"\s*:\s*\{\s*"(inputs|class_type)"\s*:')
_KOHYA_MARKERS = (
    b"pretrained_model_name_or_path",
    b"train_data_dir",
    b"network_module",
    b"network_dim",
    b"output_name",
    b"caption_extension",
    b"[[datasets]]",
    b"[[datasets.subsets]]",
    b"image_dir",
    b"LoRA_type",
    b"enable_bucket",
    b"max_train_epochs",
    b"save_model_as",
    b"bucket_reso_steps",
    b"shuffle_caption",
    b"keep_tokens",
)


def _sniff_model_config(head: bytes) -> Sniffed | None:
    """Text that names models: ComfyUI workflows, diffusers configs, kohya training configs."""
    if b"\x00" in head:
        return None
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{"):
        if b'"last_node_id"' in text or (b'"nodes"' in text and b'"links"' in text):
            return Sniffed("model-config", "comfyui-workflow")
        if _COMFY_API_GRAPH.match(text):
            return Sniffed("model-config", "comfyui-prompt")
        if b'"_class_name"' in text and b'"_diffusers_version"' in text:
            pipeline = re.search(rb'"_class_name"\s*:\s*"[A-Za-z0-9_]*Pipeline"', text)
            return Sniffed("model-config", "diffusers-index" if pipeline else "diffusers-config")
    if sum(marker in text for marker in _KOHYA_MARKERS) >= 2:
        return Sniffed("model-config", "kohya-config")
    return None


# What a file's extension promises; used only to warn when content disagrees.
_EXTENSION_FORMATS: dict[str, set[str]] = {
    ".jpg": {"jpeg"},
    ".jpeg": {"jpeg"},
    ".jpe": {"jpeg"},
    ".png": {"png"},
    ".gif": {"gif"},
    ".webp": {"webp"},
    ".bmp": {"bmp"},
    ".tif": {"tiff"},
    ".tiff": {"tiff"},
    ".heic": {"heif", "avif"},
    ".heif": {"heif", "avif"},
    ".avif": {"avif", "heif"},
    ".zip": {"zip"},
    ".tar": {"tar"},
    ".gz": {"gzip"},
    ".tgz": {"gzip"},
    ".mp4": {"mp4", "mov"},
    ".m4v": {"mp4", "mov"},
    ".mov": {"mov", "mp4"},
    ".webm": {"webm", "mkv"},
    ".mkv": {"mkv", "webm"},
    ".avi": {"avi"},
    ".safetensors": {"safetensors"},
    ".gguf": {"gguf"},
    ".ckpt": {"torch-zip", "torch-legacy", "pickle"},
    ".pt": {"torch-zip", "torch-legacy", "pickle"},
    ".pth": {"torch-zip", "torch-legacy", "pickle"},
}


def extension_mismatch(name: str, sniffed: Sniffed) -> str | None:
    """Return a warning when a known extension promises another format than the content."""
    suffix = PurePosixPath(name).suffix.lower()
    expected = _EXTENSION_FORMATS.get(suffix)
    if expected is None or sniffed.format in expected:
        return None
    actual = sniffed.format if sniffed.format != "unknown" else "unrecognised content"
    return f"named {suffix} but the content is {actual}"
