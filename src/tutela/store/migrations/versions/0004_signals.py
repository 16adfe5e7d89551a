"""signals: near-duplicate clusters and triage assessments

Revision ID: 0004_signals
Revises: 0001_foundation
Create Date: 2026-11-22 06:53:53.414183
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_signals"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessments",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("item_sha256", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("band", sa.String(length=8), nullable=False),
        sa.Column("auto_resolved", sa.Boolean(), nullable=False),
        sa.Column("resolution", sa.JSON(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("rules_digest", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_sha256"], ["items.sha256"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "item_sha256"),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index("ix_assessments_case_priority", ["case_id", "priority"], unique=False)

    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("representative_sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["representative_sha256"], ["items.sha256"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "key", name="uq_clusters_case_key"),
    )
    with op.batch_alter_table("clusters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clusters_case_id"), ["case_id"], unique=False)

    op.create_table(
        "cluster_assessments",
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("band", sa.String(length=8), nullable=False),
        sa.Column("auto_resolved", sa.Boolean(), nullable=False),
        sa.Column("open_items", sa.Integer(), nullable=False),
        sa.Column("resolution", sa.JSON(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("rules_digest", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("cluster_id"),
    )
    with op.batch_alter_table("cluster_assessments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cluster_assessments_case_priority", ["case_id", "priority"], unique=False
        )

    op.create_table(
        "cluster_members",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("item_sha256", sa.String(length=64), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=True),
        sa.Column("basis", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_sha256"], ["items.sha256"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "item_sha256"),
    )
    with op.batch_alter_table("cluster_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cluster_members_cluster_id"), ["cluster_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cluster_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cluster_members_cluster_id"))

    op.drop_table("cluster_members")
    with op.batch_alter_table("cluster_assessments", schema=None) as batch_op:
        batch_op.drop_index("ix_cluster_assessments_case_priority")

    op.drop_table("cluster_assessments")
    with op.batch_alter_table("clusters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clusters_case_id"))

    op.drop_table("clusters")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index("ix_assessments_case_priority")

    op.drop_table("assessments")
