"""Pickle-based model files (``.ckpt``, ``.pt``, ``.pth``, ``.bin``), read without loading.

Three containers exist: the zip that ``torch.save`` writes since 1.6 (``*/data.pkl``
plus one member per tensor storage), the legacy stream (five pickles, then raw
storages) and bare pickles. For each pickle found, two independent readers run over
the same bounded bytes and neither executes anything:

- ``picklescan`` (MIT, the scanner Hugging Face runs on uploads) lists the imports
  and grades them innocuous / suspicious / dangerous from its maintained lists;
- :mod:`tutela.models.pickle_walk` describes the object graph (tensor names and shapes,
  plain fields) for architecture inference.

The zip is listed with the same guard rails as any archive: encrypted or oversized
pickle members, absurd compression ratios and member counts are findings, never
reads. Tensor storage members are counted, never read.
"""

from __future__ import annotations

import io
import logging
import posixpath
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import cache
from typing import Any, BinaryIO

from tutela.errors import ArchiveBomb, ArchiveError, MediaError, TruncatedMedia
from tutela.media.archives import _read_bounded
from tutela.media.limits import Limits
from tutela.models.errors import DangerousPickle, PickleUnscannable, SuspiciousPickle
from tutela.models.limits import ModelLimits
from tutela.models.pickle_walk import (
    TooManyOps,
    Walk,
    WalkError,
    iter_tensors,
    plain_fields,
    walk,
)
from tutela.models.safetensors import TensorInfo

# picklescan logs every finding at WARNING; tutela records them itself.
logging.getLogger("picklescan").addHandler(logging.NullHandler())
logging.getLogger("picklescan").propagate = False

# Imports that real Stable Diffusion checkpoints make and that only rebuild data; the
# same set A1111's restricted unpickler accepts. picklescan calls them "suspicious"
# (not on its own safe list); they are graded innocuous here to keep findings useful.
CHECKPOINT_IMPORTS = frozenset(
    {
        ("torch._utils", "_rebuild_tensor"),
        ("torch._utils", "_rebuild_parameter"),
        ("torch._utils", "_rebuild_parameter_with_state"),
        ("torch._utils", "_rebuild_device_tensor_from_numpy"),
        ("torch", "UntypedStorage"),
        ("torch", "Size"),
        ("torch.nn.modules.container", "ParameterDict"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
        ("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint"),
    }
)

# Imports picklescan grades only "suspicious" that still open files or import code when
# called; tutela grades them dangerous (``open`` pickles as ``io.open`` on Python 3).
EXTRA_DANGEROUS = frozenset(
    {
        ("io", "open"),
        ("_io", "open"),
        ("io", "FileIO"),
        ("codecs", "open"),
        ("builtins", "__import__"),
        ("__builtin__", "__import__"),
        ("importlib", "import_module"),
        ("builtins", "setattr"),
        ("builtins", "delattr"),
    }
)

LEGACY_PICKLES = 5
_TORCH_RECORDS = {
    "version",
    ".format_version",
    ".storage_alignment",
    "byteorder",
    "serialization_id",
}
"""A legacy ``torch.save`` stream: magic number, protocol, sys info, the object, storage keys."""


@dataclass
class PickleReport:
    """What was found in a model's pickles; JSON-ready through :meth:`to_json`."""

    container: str
    pickles: list[str] = field(default_factory=list)
    imports: list[dict[str, str]] = field(default_factory=list)
    tensors: list[TensorInfo] = field(default_factory=list)
    fields: list[dict[str, Any]] = field(default_factory=list)
    members: int = 0
    storage_members: int = 0
    other_members: list[str] = field(default_factory=list)
    problems: list[MediaError] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """``dangerous`` if any import can run code, else ``suspicious``/``unscanned``/``clean``."""
        levels = {i["safety"] for i in self.imports}
        if "dangerous" in levels:
            return "dangerous"
        if any(isinstance(p, PickleUnscannable | TruncatedMedia) for p in self.problems):
            return "unscanned"
        return "suspicious" if "suspicious" in levels else "clean"

    def to_json(self) -> dict[str, Any]:
        return {
            "container": self.container,
            "verdict": self.verdict,
            "pickles": self.pickles,
            "imports": self.imports,
            "fields": self.fields,
            "zip_members": self.members,
            "storage_members": self.storage_members,
            "other_members": self.other_members[:50],
            "scanner": _scanner_version(),
        }


@cache
def _scanner_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"picklescan {version('picklescan')}"
    except PackageNotFoundError:  # pragma: no cover - a core dependency
        return "picklescan"


def read_pickles(
    stream: BinaryIO, fmt: str, size: int, where: str, limits: Limits, model_limits: ModelLimits
) -> PickleReport:
    """Scan and describe every pickle of a ``torch-zip``, ``torch-legacy`` or ``pickle`` file."""
    if fmt == "torch-zip":
        return _read_zip(stream, size, where, limits, model_limits)
    report = PickleReport(fmt)
    data = stream.read(min(size, model_limits.max_pickle_bytes) + 1)
    count = LEGACY_PICKLES if fmt == "torch-legacy" else 1
    _scan(data, where, count, model_limits, report, size > model_limits.max_pickle_bytes)
    return report


def _read_zip(
    stream: BinaryIO, size: int, where: str, limits: Limits, model_limits: ModelLimits
) -> PickleReport:
    report = PickleReport("torch-zip")
    try:
        archive = zipfile.ZipFile(stream)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise ArchiveError(f"unreadable torch zip: {exc}", where) from exc
    report.members = len(infos)
    if len(infos) > model_limits.max_zip_members:
        raise ArchiveBomb(f"zip lists {len(infos):,} members", where)
    declared = sum(i.file_size for i in infos)
    if declared > size * limits.max_archive_ratio and declared > limits.archive_ratio_min_bytes:
        report.problems.append(
            ArchiveBomb(
                f"members declare {declared:,} bytes from a {size:,}-byte file "
                f"(ratio {declared / max(size, 1):,.0f}:1); storages were not read",
                where,
            )
        )
    with archive:
        for info in infos:
            name = info.filename
            base = posixpath.basename(name)
            if "/data/" in f"/{name}" and base.isdigit():
                report.storage_members += 1
            elif base.endswith(".pkl"):
                _scan_member(archive, info, where, limits, model_limits, report)
            elif base not in _TORCH_RECORDS and not info.is_dir():
                report.other_members.append(name)
    if not report.pickles and not any(isinstance(p, PickleUnscannable) for p in report.problems):
        report.problems.append(PickleUnscannable("torch zip holds no data.pkl", where))
    return report


def _scan_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    where: str,
    limits: Limits,
    model_limits: ModelLimits,
    report: PickleReport,
) -> None:
    member = f"{where}!/{info.filename}"
    report.pickles.append(info.filename)
    if info.flag_bits & 0x1:
        report.problems.append(PickleUnscannable("pickle member is encrypted", member))
        return
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limits.archive_ratio_min_bytes and ratio > limits.max_archive_ratio:
        report.problems.append(
            ArchiveBomb(f"pickle member compression ratio {ratio:,.0f}:1; not read", member)
        )
        report.problems.append(PickleUnscannable("pickle member looks like a zip bomb", member))
        return
    cap = model_limits.max_pickle_bytes
    try:
        with archive.open(info) as handle:
            data = _read_bounded(handle, cap + 1, member)
    except ArchiveBomb as exc:
        report.problems.append(exc)
        report.problems.append(PickleUnscannable(f"pickle member exceeds {cap:,} bytes", member))
        return
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError, RuntimeError) as exc:
        report.problems.append(PickleUnscannable(f"pickle member unreadable: {exc}", member))
        return
    _scan(data, member, 1, model_limits, report, truncated=False)


def _scan(
    data: bytes,
    where: str,
    count: int,
    model_limits: ModelLimits,
    report: PickleReport,
    truncated: bool,
) -> None:
    """Walk ``count`` consecutive pickles in ``data``, then let picklescan grade their imports."""
    if len(data) > model_limits.max_pickle_bytes or truncated:
        data = data[: model_limits.max_pickle_bytes]
        report.problems.append(
            PickleUnscannable(
                f"pickle larger than {model_limits.max_pickle_bytes:,} bytes; only the start was "
                "scanned",
                where,
            )
        )
    stream = io.BytesIO(data)
    walks: list[Walk] = []
    for _ in range(count):
        try:
            walks.append(walk(stream, model_limits.max_pickle_ops))
        except TooManyOps as exc:
            # picklescan keeps every opcode in memory: past the limit, do not hand it over.
            report.problems.append(PickleUnscannable(f"pickle has {exc}; not scanned", where))
            return
        except WalkError as exc:
            message = f"pickle could not be fully described: {exc}"
            if stream.tell() >= len(data) > 0:
                report.problems.append(TruncatedMedia(message, where))
            else:
                report.problems.append(PickleUnscannable(message, where))
            break
    if walks:
        main = walks[3] if count == LEGACY_PICKLES and len(walks) > 3 else walks[0]
        report.tensors.extend(iter_tensors(main.root))
        report.fields.extend(plain_fields(main.root))
    end = walks[-1].end if len(walks) == count else len(data)
    _grade_imports(data[:end], where, walks, report)


def _grade(module: str, name: str, scanner_grade: str) -> str:
    """picklescan's grade, adjusted by tutela's two short lists (see above)."""
    if (module, name) in EXTRA_DANGEROUS:
        return "dangerous"
    if scanner_grade == "suspicious" and (module, name) in CHECKPOINT_IMPORTS:
        return "innocuous"
    return scanner_grade


def _grade_imports(data: bytes, where: str, walks: list[Walk], report: PickleReport) -> None:
    from picklescan.scanner import scan_pickle_bytes

    graded: dict[tuple[str, str], str] = {}
    try:
        result = scan_pickle_bytes(io.BytesIO(data), where, multiple_pickles=True)
    except Exception as exc:  # picklescan raises on some malformed streams; the walk goes on
        report.problems.append(PickleUnscannable(f"picklescan failed: {exc}", where))
        scan_err = False  # already reported
    else:
        scan_err = result.scan_err
        for found in result.globals:
            grade = _grade(found.module, found.name, found.safety.value)
            graded[(found.module, found.name)] = grade
    # The walk resolves every import exactly; any picklescan missed is at least suspicious.
    for walked in walks:
        for g in walked.globals:
            graded.setdefault((g.module, g.name), _grade(g.module, g.name, "suspicious"))
    for (module, name), safety in sorted(graded.items()):
        entry = {"module": module, "name": name, "safety": safety}
        if entry not in report.imports:
            report.imports.append(entry)
        if safety == "dangerous":
            report.problems.append(
                DangerousPickle(
                    f"imports {module}.{name}, which can run code when loaded; "
                    "do not load this file",
                    where,
                )
            )
        elif safety == "suspicious":
            report.problems.append(
                SuspiciousPickle(f"imports {module}.{name}, outside the known tensor types", where)
            )
    if scan_err:
        report.problems.append(
            PickleUnscannable("picklescan could not parse the whole pickle", where)
        )
