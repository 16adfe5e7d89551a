"""Video hashing speed: tutela's vPDQ path against Meta's ``vpdq``, same files, same run.

    python benchmarks/bench_video.py [--repeat 3] [--seconds 10]

Makes benign synthetic videos (landscape scenes with motion; H.264 720p and 1080p,
VP9 480p, 30 frames/s) in a temporary folder, then hashes each at the default rate
of 1 frame/s with

* ``tutela``        – ``analyse_file`` exactly as ``tutela scan`` runs it (PyAV decode,
                      PDQ at native resolution, in the guarded child process),
* ``tutela 512px``  – the same with frames downscaled to 512 px before PDQ,
* ``vpdq``          – ``vpdq.computeHash(seconds_per_hash=1, thread_count=1)``,

and prints medians: wall time, CPU time (this process and its children, all threads),
frames hashed per CPU second ("per core"), seconds of video per wall second, the
ratio against vpdq, and how far tutela's frame hashes are from vpdq's (bits).
Needs the ``bench`` extra for the anchor: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutela.signals.pdq import hamming
from tutela.testing.video import scene_frames, write_video
from tutela.video.analyse import analyse_file
from tutela.video.settings import VideoSettings

FILES = [
    # name, size, codec, encoder options
    ("h264-720p.mp4", (1280, 720), "libx264", {"preset": "veryfast", "crf": "23"}),
    ("h264-1080p.mp4", (1920, 1080), "libx264", {"preset": "veryfast", "crf": "23"}),
    ("vp9-480p.webm", (854, 480), "libvpx-vp9", {"deadline": "realtime", "cpu-used": "8"}),
]
FPS = 30


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Run:
    wall: float
    cpu: float
    hashes: list[tuple[float, str, int]]


def measure(fn: Callable[[], list[tuple[float, str, int]]]) -> Run:
    cpu, wall = cpu_seconds(), time.perf_counter()
    hashes = fn()
    return Run(time.perf_counter() - wall, cpu_seconds() - cpu, hashes)


def tutela_hasher(path: Path, frame_side: int) -> Callable[[], list[tuple[float, str, int]]]:
    settings = VideoSettings(frame_side=frame_side)

    def run() -> list[tuple[float, str, int]]:
        return [(f.timestamp, f.pdq, f.quality) for f in analyse_file(str(path), settings).frames]

    return run


def vpdq_hasher(path: Path) -> Callable[[], list[tuple[float, str, int]]]:
    import vpdq

    def run() -> list[tuple[float, str, int]]:
        features = vpdq.computeHash(str(path), seconds_per_hash=1, thread_count=1)
        return [(round(f.timestamp, 3), f.hex, f.quality) for f in features]

    return run


def make_videos(folder: Path, seconds: int) -> Iterator[tuple[Path, float]]:
    scenes = list(range(100, 100 + max(1, seconds // 3)))
    for name, size, codec, options in FILES:
        frames = scene_frames(scenes, seconds / len(scenes), fps=FPS, size=size)
        path = write_video(folder / name, frames, fps=FPS, codec=codec, options=options)
        yield path, float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per file and tool")
    parser.add_argument("--seconds", type=int, default=10, help="length of each test video")
    args = parser.parse_args()
    try:
        import vpdq  # noqa: F401
    except ImportError:
        sys.exit("the anchor is missing: pip install -e '.[bench]' (vpdq needs FFmpeg dev libs)")
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(
        "file",
        "tool",
        "wall s",
        "CPU s",
        "frames hashed",
        "frames/CPU-s",
        "video s / wall s",
        "× vpdq (frames/CPU-s)",
        "bits from vpdq (median / max)",
        title=f"video hashing at 1 frame/s, medians of {args.repeat} runs",
    )
    with tempfile.TemporaryDirectory() as tmp:
        console.print("[dim]making test videos…[/]")
        videos = list(make_videos(Path(tmp), args.seconds))
        for path, duration in videos:
            tools = {
                "vpdq": vpdq_hasher(path),
                "tutela": tutela_hasher(path, 0),
                "tutela 512px": tutela_hasher(path, 512),
            }
            runs: dict[str, list[Run]] = {name: [] for name in tools}
            for _ in range(args.repeat):  # interleaved, so machine noise hits every tool alike
                for name, fn in tools.items():
                    runs[name].append(measure(fn))
            anchor = runs["vpdq"][0].hashes
            anchor_rate = statistics.median(len(r.hashes) / r.cpu for r in runs["vpdq"])
            for name, results in runs.items():
                wall = statistics.median(r.wall for r in results)
                cpu = statistics.median(r.cpu for r in results)
                count = len(results[0].hashes)
                rate = statistics.median(len(r.hashes) / r.cpu for r in results)
                drift = [
                    hamming(a[1], b[1]) for a, b in zip(results[0].hashes, anchor, strict=False)
                ]
                table.add_row(
                    path.name,
                    name,
                    f"{wall:.2f}",
                    f"{cpu:.2f}",
                    str(count),
                    f"{rate:.1f}",
                    f"{duration / wall:.1f}",
                    f"{rate / anchor_rate:.2f}",
                    f"{np.median(drift):.0f} / {max(drift, default=0)}"
                    + ("" if len(results[0].hashes) == len(anchor) else " (counts differ)"),
                )
    console.print(table)
    console.print(
        "frames/CPU-s counts hashed (sampled) frames per CPU second of all threads and child "
        "processes, i.e. per core; every frame is decoded either way."
    )


if __name__ == "__main__":
    main()
