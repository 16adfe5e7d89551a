"""Video: recognise, decode with limits, hash (vPDQ), match, and show safely for review.

Moving images are decoded by streaming (PyAV/FFmpeg for containers, Pillow for
animated GIF/WebP), sampled at a configurable rate (default 1 frame/s), and each
sampled frame is hashed by tutela's PDQ path (the reference C++ core, as for
images). The resulting per-frame list of (timestamp, PDQ, quality) is a vPDQ
signature in the form Meta's ``vpdq`` produces and hash lists carry.

Modules:

* :mod:`~tutela.video.settings` – sampling rate, time/frame/pixel limits.
* :mod:`~tutela.video.source` – opening a container, probing, streaming frames.
* :mod:`~tutela.video.sampling` – which decoded frames are hashed.
* :mod:`~tutela.video.vpdq` – the signature: frames, serialisation, comparison.
* :mod:`~tutela.video.guard` – a hard per-file timeout (decoding in a child process).
* :mod:`~tutela.video.analyse` – the one-call library entry point.
* :mod:`~tutela.video.analyzers` – the ``video`` and ``vpdq`` scan signals.
* :mod:`~tutela.video.keyframes` – key-frame selection and blurred, greyscale strips.
"""
