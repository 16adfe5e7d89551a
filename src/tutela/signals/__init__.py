"""Signals: computed facts about an item (hashes, provenance, content), each versioned."""
