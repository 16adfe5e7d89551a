"""Exact, incremental PDQ index (see docs/index.md).

>>> index = PdqIndex()
>>> index.add([1, 2], ["f" * 64, "0" * 64])
>>> m = index.query(["f" * 63 + "e"], radius=31)
>>> m.query.tolist(), m.ids.tolist(), m.distance.tolist()
([0], [1], [1])
"""

from tutela.index.codec import bytes_to_words, hex_to_words, to_words, words_to_bytes, words_to_hex
from tutela.index.pdq_index import IndexStats, Matches, PdqIndex

__all__ = [
    "IndexStats",
    "Matches",
    "PdqIndex",
    "bytes_to_words",
    "hex_to_words",
    "to_words",
    "words_to_bytes",
    "words_to_hex",
]
