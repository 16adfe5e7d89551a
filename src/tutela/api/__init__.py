"""HTTP API (FastAPI): thin routes over the library. ``tutela serve`` runs it."""
