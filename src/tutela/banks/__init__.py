"""Hash lists ("banks") and matching against them.

A bank is a named list of entries (one signal each: an MD5, a PDQ hash, ...) with
its own kind (positive, or negative to suppress known false positives), its own
PDQ threshold and its own flood limit. Banks are filled from files (CSV, HMA,
VICS), from exchanges (through threatexchange's ``SignalExchangeAPI``) or from
images. Matching is exact: every entry within a bank's threshold is returned.

A match says that a hash is within a bank's threshold of a listed hash. It is a
machine signal that prioritises human review, never a verdict.
"""
