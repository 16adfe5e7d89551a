"""API tokens: random secrets stored only as SHA-256 digests, each with one role."""
