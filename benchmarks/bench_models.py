"""Model inventory throughput on multi-gigabyte files: header only vs full hashing.

Run: ``PYTHONPATH=src python benchmarks/bench_models.py [--sizes-gib 1 4 16 64]
[--full-gib 1 4] [--scan-gib 1] [--repeats 3]``

Files are sparse (a real header, then a hole the kernel reads as zeros), so no disk
space is used and reading measures the page cache and the hash, not the disk; on a
seized drive the disk is usually slower than SHA-256, which only favours tutela.
Each row is the median of ``--repeats`` runs. Anchors measured in the same run:

- header only: ``safetensors.safe_open`` reading the same header (the library's own
  memory-mapped reader); tutela must stay flat as files grow, like the anchor;
- full: one ``hashlib.sha256`` pass over the same file, 8 MiB reads. tutela computes
  SHA-256, BLAKE3 and (safetensors) the tensor-data hash (AutoV3) from one read, the
  SHA-256 on a second thread.

The scan column times the scan pipeline (one worker, no database) on the file: the
foundation's MD5/SHA-1/SHA-256 plus the tapped BLAKE3 and tensor-data hash, and the
header; it is what ``tutela scan`` costs per model file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import statistics
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from tutela.engine.local import PipelineSpec, run_task
from tutela.engine.tasks import plan
from tutela.media.blob import Blob
from tutela.models.inspect import inspect_model
from tutela.testing import models as tm

GIB = 1 << 30


HEADER_BYTES = 16 * 1024


def sparse_safetensors(path: Path, size: int) -> Path:
    """An SD 1.x-shaped header, then one padding tensor that is a hole up to ``size``."""
    header: dict[str, object] = {"__metadata__": {"ss_output_name": "benchmark"}}
    offset = 0
    for name, shape in tm.layout("sd1").items():
        nbytes = 2 * math.prod(shape)
        header[name] = {
            "dtype": "F16",
            "shape": list(shape),
            "data_offsets": [offset, offset + nbytes],
        }
        offset += nbytes
    pad = size - 8 - HEADER_BYTES - offset
    header["model.diffusion_model.padding.weight"] = {
        "dtype": "U8",
        "shape": [pad],
        "data_offsets": [offset, offset + pad],
    }
    raw = json.dumps(header).encode().ljust(HEADER_BYTES)
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw + bytes(offset))
        fh.truncate(size)
    return path


def sparse_torch_zip(path: Path, size: int) -> Path:
    """A ``torch.save`` zip (stored, zip64) whose one large storage member is a hole.

    Written by hand because ``zipfile`` can only write a member's bytes, not skip them.
    """
    pickled, _ = tm.torch_pickle(tm.state_dict(tm.layout("sd1")))
    big = size - len(pickled) - 4096
    members = [("archive/data.pkl", pickled, len(pickled)), ("archive/data/0", None, big)]
    members.append(("archive/version", b"3\n", 2))
    central = b""
    with path.open("wb") as fh:
        for name, data, length in members:
            crc = zlib.crc32(data) if data is not None else _zero_crc(length)
            offset = fh.tell()
            extra = struct.pack("<HHQQ", 1, 16, length, length)
            fh.write(
                struct.pack(
                    "<IHHHHHIIIHH",
                    0x04034B50,
                    45,
                    0,
                    0,
                    0,
                    0,
                    crc,
                    0xFFFFFFFF,
                    0xFFFFFFFF,
                    len(name),
                    len(extra),
                )
                + name.encode()
                + extra
            )
            if data is None:
                fh.seek(length, 1)
            else:
                fh.write(data)
            cextra = struct.pack("<HHQQQ", 1, 24, length, length, offset)
            central += (
                struct.pack(
                    "<IHHHHHHIIIHHHHHII",
                    0x02014B50,
                    45,
                    45,
                    0,
                    0,
                    0,
                    0,
                    crc,
                    0xFFFFFFFF,
                    0xFFFFFFFF,
                    len(name),
                    len(cextra),
                    0,
                    0,
                    0,
                    0,
                    0xFFFFFFFF,
                )
                + name.encode()
                + cextra
            )
        start = fh.tell()
        fh.write(central)
        end = fh.tell()
        n = len(members)
        fh.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, end - start, start))
        fh.write(struct.pack("<IIQI", 0x07064B50, 0, end, 1))
        fh.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    with zipfile.ZipFile(path) as check:  # a valid zip, as zipfile reads it
        assert check.getinfo("archive/data/0").file_size == big
    return path


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, row = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[row]
        vector >>= 1
        row += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, matrix[n]) for n in range(32)]


def _zero_crc(length: int) -> int:
    """CRC-32 of ``length`` zero bytes in O(log n): the zero-shift operator squared
    repeatedly (the method of zlib's ``crc32_combine``), so a 64 GiB hole needs no read."""
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    register = 0xFFFFFFFF
    while length:
        even = _gf2_square(odd)
        if length & 1:
            register = _gf2_times(even, register)
        length >>= 1
        if not length:
            break
        odd = _gf2_square(even)
        if length & 1:
            register = _gf2_times(odd, register)
        length >>= 1
    return register ^ 0xFFFFFFFF


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def plain_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


def header_only(path: Path, fmt: str) -> dict[str, object]:
    return inspect_model(Blob.from_path(str(path), load_limit=0), fmt, str(path)).data


def full(path: Path, fmt: str) -> dict[str, object]:
    blob = Blob.from_path(str(path), load_limit=0)
    return inspect_model(blob, fmt, str(path), full=True).data


def library_header(path: Path, fmt: str) -> None:
    """The anchor: the safetensors library's header read, or zipfile reading data.pkl."""
    if fmt == "safetensors":
        from safetensors import safe_open

        with safe_open(str(path), framework="np") as f:
            f.metadata()
            list(f.keys())
        return
    with zipfile.ZipFile(path) as zf:
        zf.read("archive/data.pkl")


def pipeline_scan(path: Path) -> None:
    pipeline = PipelineSpec().build()
    for task in plan([str(path)], {}):
        run_task(pipeline, task)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes-gib", type=float, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--full-gib", type=float, nargs="+", default=[1, 4])
    parser.add_argument("--scan-gib", type=float, nargs="+", default=[1])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    assert all(_zero_crc(n) == zlib.crc32(bytes(n)) for n in (0, 1, 7, 4096, 1 << 20))
    makers = {"safetensors": sparse_safetensors, "torch-zip": sparse_torch_zip}
    suffix = {"safetensors": "safetensors", "torch-zip": "ckpt"}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print("header only, median ms (anchor: safetensors.safe_open / zipfile reading data.pkl)")
        print(f"{'format':<12}{'size':>7}  {'tutela':>8}  {'anchor':>8}  {'ratio':>6}")
        for fmt, make in makers.items():
            for gib in args.sizes_gib:
                path = make(root / f"h{gib}.{suffix[fmt]}", int(gib * GIB))
                assert header_only(path, fmt)["architecture"] == "sd1"
                runs = max(args.repeats, 5)
                ours = median_time(lambda p=path, f=fmt: header_only(p, f), runs)
                anchor = median_time(lambda p=path, f=fmt: library_header(p, f), runs)
                print(
                    f"{fmt:<12}{gib:>5g}Gi  {ours * 1e3:>8.2f}  {anchor * 1e3:>8.2f}"
                    f"  {ours / anchor:>6.2f}"
                )
                path.unlink()
        print()
        print("full hashing, median s (anchor: one hashlib.sha256 pass over the same file)")
        print(
            f"{'format':<12}{'size':>7}  {'tutela':>7}  {'GB/s':>5}  {'sha256':>7}  {'GB/s':>5}"
            f"  {'ratio':>5}  {'scan':>7}  {'ratio':>5}"
        )
        for fmt, make in makers.items():
            for gib in args.full_gib:
                size = int(gib * GIB)
                path = make(root / f"f{gib}.{suffix[fmt]}", size)
                facts = full(path, fmt)
                assert facts["hashes"]["sha256"] == plain_sha256(path)  # type: ignore[index]
                ours = median_time(lambda p=path, f=fmt: full(p, f), args.repeats)
                anchor = median_time(lambda p=path: plain_sha256(p), args.repeats)
                scan = ""
                if gib in args.scan_gib:
                    scan_time = median_time(lambda p=path: pipeline_scan(p), args.repeats)
                    scan = f"  {scan_time:>7.2f}  {scan_time / anchor:>5.2f}"
                print(
                    f"{fmt:<12}{gib:>5g}Gi  {ours:>7.2f}  {size / ours / 1e9:>5.2f}"
                    f"  {anchor:>7.2f}  {size / anchor / 1e9:>5.2f}  {ours / anchor:>5.2f}{scan}"
                )
                path.unlink()


if __name__ == "__main__":
    main()
