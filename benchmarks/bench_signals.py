"""Cost of the content signals per 640 px image, and of a whole scan with all of them on.

Run: ``PYTHONPATH=src python benchmarks/bench_signals.py [--images N]``

Per-signal figures are CPU milliseconds per call (one thread, as in a scan
worker), medians over benign synthetic 640 px images (half of them with a
public-domain adult portrait pasted in, so the age network runs). The anchor is
the foundation's own per-image work measured in the same run: decoding the image
at 640 px. The scan rows time ``tutela scan`` end to end (hash, PDQ, signals,
stages) with 1 and 2 worker processes, with all signals on and all off.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from PIL import Image

from tutela.engine.context import MediaContext
from tutela.engine.local import PipelineSpec
from tutela.engine.scan import scan
from tutela.media.blob import Blob
from tutela.media.limits import DEFAULT_LIMITS
from tutela.media.sniff import sniff
from tutela.signals.content import CONTENT_MAX_SIDE, faces, nudity
from tutela.signals.content.packaged import package_file
from tutela.store import open_store
from tutela.testing.synth import encode, landscape, shapes


def images(n: int) -> list[bytes]:
    try:
        portrait: Image.Image | None = Image.open(package_file("skimage", "data/astronaut.png"))
    except Exception:
        portrait = None
    out = []
    for seed in range(n):
        im = landscape(seed, 640, 480) if seed % 2 else shapes(seed, 640, 640)
        if portrait is not None and seed % 4 < 2:
            im = im.copy()
            im.paste(portrait.convert("RGB").resize((300, 300)), (170, 90))
        out.append(encode(im, quality=90))
    return out


def context(data: bytes) -> MediaContext:
    return MediaContext(
        Blob.from_bytes(data), "bench.jpg", sniff(data[:64]), DEFAULT_LIMITS, "0" * 64
    )


def cpu_ms(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return (time.process_time() - start) * 1000


def all_content(ctx: MediaContext) -> None:
    """What a scan worker does per image: one shared decode, then every content signal."""
    nudity.analyse(ctx)
    faces.analyse(ctx)


def per_image(datas: list[bytes]) -> dict[str, float]:
    nudity.classifier()
    faces.age_network()
    faces._dlib_models()
    rows: dict[str, list[float]] = {"decode": [], "nudity": [], "faces": [], "all": []}
    plugin = None
    try:
        from tutela.signals.content import nudenet_plugin

        nudenet_plugin.detector()
        plugin = nudenet_plugin
        rows["nudenet (optional)"] = []
    except Exception:
        pass
    for data in datas:
        for _ in range(2):  # best of two per image, median over images
            ctx = context(data)
            rows["decode"].append(cpu_ms(partial(ctx.rgb, CONTENT_MAX_SIDE)))
            image = ctx.rgb(CONTENT_MAX_SIDE)
            rows["nudity"].append(cpu_ms(partial(nudity.nudity_score, image)))
            rows["faces"].append(cpu_ms(partial(faces.analyse_image, image)))
            if plugin is not None:
                rows["nudenet (optional)"].append(cpu_ms(partial(plugin.detect, image)))
            rows["all"].append(cpu_ms(partial(all_content, context(data))))
    return {name: statistics.median(values) for name, values in rows.items()}


class Stamps:
    """Progress sink recording when files finish (steady-state rate, without start-up)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.cpu: list[float] = []

    def start(self, total: int) -> None:
        pass

    def advance(self, units: int) -> None:
        self.times.extend([time.perf_counter()] * units)
        self.cpu.extend([time.process_time()] * units)


def scan_rate(datas: list[bytes], workers: int, signals: bool) -> tuple[float, float | None]:
    """Images/s between the first and last file finished (model loading excluded), and
    CPU ms per image when the scan runs in this process (1 worker)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for i, data in enumerate(datas):
            (folder / f"{i:04d}.jpg").write_bytes(data)
        store = open_store(f"sqlite:///{tmp}/bench.db")
        spec = PipelineSpec(only_signals=None if signals else frozenset())
        stamps = Stamps()
        scan(store, [str(folder)], "bench", spec, workers, stamps)
        skip = len(stamps.times) // 10  # let every worker warm up
        done = len(stamps.times) - 1 - skip
        rate = done / (stamps.times[-1] - stamps.times[skip])
        cpu = (stamps.cpu[-1] - stamps.cpu[skip]) * 1000 / done if workers == 1 else None
        return rate, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=24, help="images for the per-signal rows")
    parser.add_argument("--scan-images", type=int, default=80, help="images per scan run")
    parser.add_argument("--repeat", type=int, default=3, help="scan runs per row (median)")
    args = parser.parse_args()
    datas = images(args.images)
    costs = per_image(datas)
    anchor = costs["decode"]
    print(f"per 640 px image, CPU ms, median of {len(datas)} benign images × 2 (1 thread)")
    print(f"{'signal':<22}{'ms':>8}{'× decode':>10}")
    for name, ms in costs.items():
        label = "all content signals" if name == "all" else name
        print(f"{label:<22}{ms:8.1f}{ms / anchor:10.2f}")
    print(
        f"goal: all content signals ≤ 60 ms per image: {'met' if costs['all'] <= 60 else 'NOT met'}"
    )

    scan_datas = images(args.scan_images)
    print(
        f"\nwhole scan (hash, PDQ, signals), {len(scan_datas)} images, steady-state wall clock, "
        f"median of {args.repeat} runs"
    )
    print(f"{'run':<26}{'images/s':>10}{'per core':>10}{'× anchor':>10}{'CPU ms/img':>12}")
    base = scan_rate(scan_datas, 1, signals=False)
    for label, workers, signals in (
        ("1 worker, signals off", 1, False),
        ("1 worker, all signals", 1, True),
        ("2 workers, signals off", 2, False),
        ("2 workers, all signals", 2, True),
    ):
        rate, cpu = (
            base if (workers, signals) == (1, False) else scan_rate(scan_datas, workers, signals)
        )
        shown = f"{cpu:12.1f}" if cpu is not None else f"{'':12}"
        print(f"{label:<26}{rate:10.1f}{rate / workers:10.1f}{rate / base[0]:10.2f}{shown}")
    print("anchor: 1 worker, signals off (hashing and PDQ only); the machine is shared, so")
    print("wall-clock rates move with its load; CPU ms per image (1 worker) do not.")


if __name__ == "__main__":
    main()
