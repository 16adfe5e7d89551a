"""Near-duplicate clusters: items judged together.

A cluster is a connected component of the graph whose nodes are a case's items
and whose edges join items with PDQ hashes at most ``threshold`` bits apart. That
definition does not depend on the order in which items arrive, and it is what
incremental addition computes: a new item is compared with every item already
there, and components only ever merge. (Chains are possible: A~B and B~C put A
and C together even when A and C are further apart; a reviewer sees the whole
chain at once, which is the point.)

Exact duplicates (the same sha256 at several locations) are one item already:
the "stack" of its copies is its list of locations. Items whose PDQ quality is
below 50 (flat or featureless images) or that have no PDQ at all never join a
cluster by PDQ; each is a cluster of one, and says why.
"""

from tutela.cluster.graph import PdqClusterer, packed

__all__ = ["PdqClusterer", "packed"]
