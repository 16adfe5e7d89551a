"""Persistence: SQLAlchemy models, Alembic migrations, SQLite by default, PostgreSQL for teams."""

from tutela.store.db import Store, open_store

__all__ = ["Store", "open_store"]
