"""video: stored vPDQ signatures, per-bank vPDQ rules, where video matches occur

Revision ID: 0007_video
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_video"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "video_signatures",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("frame_count", sa.Integer(), nullable=False),
        sa.Column("frames", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_table(
        "video_bank_rules",
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("query_share", sa.Float(), nullable=False),
        sa.Column("target_share", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bank_id"),
    )
    op.create_table(
        "video_matches",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("item_sha256", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("query_share", sa.Float(), nullable=False),
        sa.Column("target_share", sa.Float(), nullable=True),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("frames", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_sha256"], ["items.sha256"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "item_sha256", "entry_id"),
    )
    op.create_table(
        "video_match_checks",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("item_sha256", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_sha256"], ["items.sha256"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "item_sha256"),
    )


def downgrade() -> None:
    op.drop_table("video_match_checks")
    op.drop_table("video_matches")
    op.drop_table("video_bank_rules")
    op.drop_table("video_signatures")
