"""provenance: synthetic status per item

Revision ID: 0003_provenance
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_provenance"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provenance_status",
        sa.Column("item_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("signal_version", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["item_sha256"], ["items.sha256"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_sha256"),
    )
    with op.batch_alter_table("provenance_status", schema=None) as batch_op:
        batch_op.create_index("ix_provenance_status_status", ["status", "confidence"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("provenance_status", schema=None) as batch_op:
        batch_op.drop_index("ix_provenance_status_status")
    op.drop_table("provenance_status")
