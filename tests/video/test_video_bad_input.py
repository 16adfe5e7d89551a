"""Bad video input: each file gets a specific error or a marked partial result, on time."""

from __future__ import annotations

import io
import os
import signal
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutela.errors import CorruptMedia, DecompressionBomb, MediaError, TruncatedMedia
from tutela.media.blob import Blob
from tutela.testing.video import VideoSet, scene_frames, write_video
from tutela.video.analyse import analyse_file, analyse_video
from tutela.video.errors import DecoderCrashed, NoVideoStream, VideoTimeout
from tutela.video.guard import run_guarded
from tutela.video.settings import VideoSettings


def test_download_cut_before_the_index_is_truncated(videos: VideoSet, tmp_path: Path) -> None:
    data = videos.original.read_bytes()  # moov at the end, as encoders write by default
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(TruncatedMedia, match=r"'mdat' box before its index \(moov\)"):
        analyse_file(str(cut))


def test_truncated_streamable_file_keeps_what_decoded(tmp_path: Path) -> None:
    source = write_video(
        tmp_path / "fast.mp4",
        scene_frames([1, 2, 3]),
        container_options={"movflags": "faststart"},
    )
    data = source.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    result = analyse_file(str(cut))
    assert not result.complete
    assert 0 < result.frames_read < 60
    assert any("file ends early" in note for note in result.damage)
    assert {w.kind for w in result.warnings("x")} == {"video-damaged"}
    assert result.frames and result.frames[0].timestamp == 0.0


def test_damaged_packets_are_counted_and_skipped(videos: VideoSet, tmp_path: Path) -> None:
    data = bytearray(videos.original.read_bytes())
    for i in range(3000, len(data) - 4000, 101):
        data[i] ^= 0x5A
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    try:
        result = analyse_file(str(damaged))
    except CorruptMedia as exc:  # the damage may hit every packet: still a specific error
        assert "decoded" in exc.message or "damaged" in exc.message
        return
    assert not result.complete
    assert result.damage


def test_container_without_frames(tmp_path: Path) -> None:
    import av

    path = tmp_path / "shell.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width = stream.height = 64
        container.start_encoding()  # headers written, no frame ever follows
    assert path.stat().st_size > 0
    with pytest.raises(MediaError) as raised:
        analyse_file(str(path))
    assert raised.value.kind in ("truncated", "no-frames")


def test_audio_only_file_has_no_video_stream(tmp_path: Path) -> None:
    import av
    import numpy as np

    path = tmp_path / "sound.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=44100)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = 44100
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    with pytest.raises(NoVideoStream, match="audio: aac"):
        analyse_file(str(path))


def test_huge_resolution_is_refused_before_decoding(tmp_path: Path) -> None:
    import av

    path = tmp_path / "huge.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=1, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 8192, 5120, "yuv420p"
        frame = av.VideoFrame(8192, 5120, "yuv420p")
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    with pytest.raises(DecompressionBomb, match="8192x5120"):
        analyse_file(str(path))
    # Allowed when an operator raises the limit.
    result = analyse_file(str(path), VideoSettings(max_frame_pixels=50_000_000, frame_side=512))
    assert result.frames_read == 1


def test_frame_limit_stops_decoding_with_a_partial_signature(videos: VideoSet) -> None:
    result = analyse_file(str(videos.original), VideoSettings(max_frames=25))
    assert result.stopped == "frame-limit"
    assert result.frames_read == 25
    assert [f.timestamp for f in result.frames] == [0.0, 1.0, 2.0]
    warning = result.warnings("clip")[0]
    assert warning.kind == "video-limit" and "25-frame limit" in warning.message


class EndlessStream(io.RawIOBase):
    """A live stream that never ends: an MPEG-TS recording played in a loop."""

    def __init__(self, data: bytes) -> None:
        self.data, self.position = data, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        n = len(buffer)
        out = bytearray()
        while len(out) < n:
            start = self.position % len(self.data)
            out += self.data[start : start + n - len(out)]
            self.position += len(out)
        buffer[:n] = out[:n]
        return n


def test_endless_stream_stops_at_the_time_limit(tmp_path: Path) -> None:
    ts = write_video(tmp_path / "loop.ts", scene_frames([4], 1.0, fps=10), codec="libx264")
    data = ts.read_bytes()
    blob = Blob(size=len(data), opener=lambda: EndlessStream(data))
    started = time.monotonic()
    result = analyse_video(blob, "ts", "live.ts", VideoSettings(timeout=1.5))
    elapsed = time.monotonic() - started
    assert result.stopped == "time-limit"
    assert result.frames_read > 10, "it really kept decoding the looping stream"
    assert elapsed < 1.5 + 5, "the soft limit stopped it, not the hard kill"
    assert result.warnings("live.ts")[0].kind == "video-limit"


class StalledStream(io.RawIOBase):
    """A read that never returns (a hung network mount)."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        time.sleep(3600)
        return 0


def test_stalled_read_is_killed_at_the_hard_limit() -> None:
    blob = Blob(size=10**6, opener=StalledStream)
    started = time.monotonic()
    with pytest.raises(VideoTimeout, match="killed"):
        analyse_video(blob, "mp4", "stalled.mp4", VideoSettings(timeout=0.5, hard_timeout_grace=1))
    assert time.monotonic() - started < 5


def test_a_crashing_decoder_costs_one_file_not_the_scan() -> None:
    def crash() -> None:  # what a segfault inside FFmpeg looks like from outside
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(DecoderCrashed, match="exit code -9"):
        run_guarded(crash, 10, "crash.mp4")
    assert run_guarded(lambda: 42, 10, "fine.mp4") == 42


HEADERS = [
    bytes.fromhex("0000001c667479706d703432") + b"\x00" * 4 + b"mp42isom",  # MP4
    bytes.fromhex("1a45dfa3") + b"\x42\x86\x81\x01webm",  # Matroska/WebM
    b"RIFF\x00\x10\x00\x00AVI LIST",  # AVI
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(HEADERS), st.binary(max_size=4096))
def test_garbage_after_a_video_header_never_crashes(header: bytes, tail: bytes) -> None:
    from tutela.media.sniff import sniff

    data = header + tail
    fmt = sniff(data).format
    try:
        result = analyse_video(Blob.from_bytes(data), fmt, "fuzz", VideoSettings(timeout=5))
    except MediaError:
        return
    assert result.frames_read >= 1
