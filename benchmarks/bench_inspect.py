"""Provenance inspection throughput (files/s on one core) on the shared benign corpus.

Measured in the same run, single process, each mode repeated (median reported):

* ``tutela metadata+c2pa``: ``inspect_path`` without watermark decoding (containers, XMP,
  generator metadata, C2PA with trust lists, camera, alpha-channel metadata);
* ``tutela full``: the same plus invisible-watermark decoding (what ``tutela scan`` does);
* anchor ``sd-parsers + c2pa Reader``: sd-parsers' ``ParserManager.parse`` and c2pa-python's
  ``Reader`` (offline, no trust lists) on every file, i.e. the two libraries alone doing a
  subset of the metadata path.

Throughput is files per CPU-second of the benchmark process (files/s per core).
Usage: ``python benchmarks/bench_inspect.py [FOLDER] [--repeat N]``
(FOLDER defaults to ``$TUTELA_SHARED_DATA/images``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() != ".csv"
                  and p.name != "README.md")  # fmt: skip


def timed(run: Callable[[Path], object], files: list[Path], repeat: int) -> tuple[float, float]:
    """Median (CPU seconds of this process, wall seconds) over ``repeat`` passes.

    CPU time is what "files/s per core" means and is barely affected by other processes
    competing for the cores; wall time is shown beside it.
    """
    cpu, wall = [], []
    for _ in range(repeat):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        for path in files:
            run(path)
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = Path(os.environ.get("TUTELA_SHARED_DATA", "../shared/data")) / "images"
    parser.add_argument("folder", nargs="?", type=Path, default=default)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.folder.is_dir():
        sys.exit(f"no corpus at {args.folder}: pass a folder or set TUTELA_SHARED_DATA")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import c2pa
    import cv2
    from sd_parsers import ParserManager

    from tutela.provenance import InspectOptions, inspect_path

    cv2.setNumThreads(1)
    logging.getLogger("sd_parsers").setLevel(logging.CRITICAL)
    files = files_in(args.folder)
    metadata = InspectOptions(watermark=False)
    full = InspectOptions(watermark=True)
    manager = ParserManager()
    context = c2pa.Context.from_dict(
        {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    )

    def anchor(path: Path) -> None:
        data = path.read_bytes()
        with contextlib.suppress(Exception):  # sd-parsers raises on files it cannot read
            manager.parse(io.BytesIO(data))
        try:
            mime = c2pa.c2pa._get_mime_type_from_path(path)
            reader = c2pa.Reader.try_create(mime, io.BytesIO(data), context=context)
            if reader is not None:
                reader.json()
                reader.close()
        except Exception:
            pass

    for warm in (lambda p: inspect_path(p, full), anchor):  # imports, caches, trust context
        warm(files[0])
    modes = [
        ("anchor: sd-parsers + c2pa Reader", anchor),
        ("tutela metadata+c2pa", lambda p: inspect_path(p, metadata)),
        ("tutela full (+ watermark)", lambda p: inspect_path(p, full)),
    ]
    results = {name: timed(run, files, args.repeat) for name, run in modes}
    base = results[modes[0][0]][0]
    print(f"\n{len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:.0f} MB, "
          f"median of {args.repeat} runs, one process")  # fmt: skip
    print(
        f"{'mode':36} {'CPU s':>7} {'files/s/core':>13} {'ms/file':>8} {'wall s':>7} "
        f"{'vs anchor':>10}"
    )
    for name, (cpu, wall) in results.items():
        print(
            f"{name:36} {cpu:7.2f} {len(files) / cpu:13.1f} {1000 * cpu / len(files):8.2f} "
            f"{wall:7.2f} {base / cpu:9.2f}x"
        )


if __name__ == "__main__":
    main()
