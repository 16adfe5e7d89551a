"""A hard time limit: decode in a forked child process and kill it if it overstays.

The decoding loop checks its budget on every packet, which stops endless and
oversized streams. It cannot stop a decoder stuck inside FFmpeg's C code or a read
that never returns (a stalled network mount): no Python code runs there to notice.
So the whole decode runs in a child process; the parent waits up to the hard limit
and kills it. A crash inside FFmpeg on hostile input then costs one file, not the
scan worker. Forking is cheap next to decoding a video, and the child sees the
parent's memory (including an in-memory file) without copying it.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from tutela.errors import MediaError
from tutela.video.errors import DecoderCrashed, VideoTimeout

T = TypeVar("T")


def _child(fn: Callable[[], Any], conn: Connection) -> None:
    try:
        result: tuple[str, Any] = ("ok", fn())
    except MediaError as exc:
        result = ("media-error", (type(exc), exc.message, exc.path))
    except BaseException as exc:  # reported to the parent, which decides
        result = ("failed", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}")
    try:
        conn.send(result)
    finally:
        conn.close()


def run_guarded(fn: Callable[[], T], hard_timeout: float, where: str) -> T:
    """Run ``fn`` in a forked child; return its result or re-raise its MediaError.

    Raises :class:`VideoTimeout` if the child is still running after ``hard_timeout``
    seconds and :class:`DecoderCrashed` if it dies without answering.
    """
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(fn, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(hard_timeout):
            raise VideoTimeout(
                f"decoding did not stop within {hard_timeout:g} s (stalled read or decoder "
                "hang); the decoder was killed",
                where,
            )
        try:
            status, payload = receiver.recv()
        except (EOFError, OSError) as exc:
            process.join(5)
            raise DecoderCrashed(
                f"the decoder process died (exit code {process.exitcode})", where
            ) from exc
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(5)
    if status == "ok":
        result: T = payload
        return result
    if status == "media-error":
        cls, message, path = payload
        raise cls(message, path)
    raise RuntimeError(f"video decoding failed in pid {os.getpid()}: {payload}")
