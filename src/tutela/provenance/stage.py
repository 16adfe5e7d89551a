"""Post-scan stage: copy each item's synthetic status into the indexed status table."""

from __future__ import annotations

from typing import Any

from tutela.engine.scan import Stage
from tutela.store.db import Store
from tutela.store.models import Case


def run(store: Store, case_id: int) -> dict[str, Any]:
    from tutela.provenance.queries import status_counts, sync_status

    with store.transaction() as session:
        written = sync_status(session)
        name = session.get(Case, case_id)
        counts = status_counts(session, name.name if name else None)
    return {"synced": written, "synthetic_status": counts}


STAGES = [Stage("provenance", run)]
