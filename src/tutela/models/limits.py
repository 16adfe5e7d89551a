"""Bounds that keep hostile model files from exhausting memory or time.

Every parser in this package reads at most these many bytes of a header, however
large the file, so inventory time does not grow with model size.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelLimits:
    max_safetensors_header: int = 100_000_000
    """The safetensors library's own limit; real checkpoints have headers of ~0.1–2 MB."""

    max_gguf_header: int = 256 * 1024 * 1024
    """GGUF metadata (LLM vocabularies included) read before giving up."""

    max_gguf_entries: int = 1_000_000
    """Key/value pairs or tensor descriptions accepted from one GGUF file."""

    max_pickle_bytes: int = 64 * 1024 * 1024
    """Largest pickle stream scanned; real ``data.pkl`` files are well under 10 MB."""

    max_pickle_ops: int = 2_000_000
    """Opcodes walked per pickle (an SD checkpoint has ~20,000)."""

    max_zip_members: int = 200_000
    """Members listed from one torch zip checkpoint."""

    max_config_bytes: int = 32 * 1024 * 1024
    """Largest workflow or training config parsed."""

    max_value_chars: int = 4096
    """Metadata values longer than this are shortened in stored output."""


DEFAULT_MODEL_LIMITS = ModelLimits()
