"""Model forensics: find, fingerprint and link generative models, LoRAs and training sets.

Model files are read without loading tensors (headers only) and pickles are never
unpickled: their opcodes are walked and scanned. See ``docs/models.md``.
"""
