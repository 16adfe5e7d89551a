"""The 0004_signals migration creates exactly what the cluster and assess models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tutela.store import open_store
from tutela.store.schema import load_all

OURS = {"clusters", "cluster_members", "assessments", "cluster_assessments"}


def _tables(diff: object) -> set[str]:
    found: set[str] = set()
    stack = [diff]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif hasattr(item, "name") and getattr(item, "name", None) in OURS:
            found.add(item.name)
        elif hasattr(item, "table") and getattr(item.table, "name", None) in OURS:
            found.add(item.table.name)
    return found


def test_models_and_migration_agree(store_url: str) -> None:
    store = open_store(store_url)
    with store.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), load_all().metadata)
    assert not _tables(diffs), diffs
    with store.engine.connect() as connection:
        names = set(store.engine.dialect.get_table_names(connection))
    assert names >= OURS
