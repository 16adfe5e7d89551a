"""models: model hash index, training sets, diffusers folders, model links

Revision ID: 0006_models
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_models"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_hashes",
        sa.Column("item_sha256", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=24), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["item_sha256"], ["items.sha256"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_sha256", "algorithm"),
    )
    op.create_index("ix_model_hashes_value", "model_hashes", ["value"], unique=False)
    op.create_table(
        "training_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=True),
        sa.Column("concept", sa.Text(), nullable=True),
        sa.Column("images", sa.Integer(), nullable=False),
        sa.Column("captions", sa.Integer(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "path", name="uq_training_sets_case_path"),
    )
    op.create_index("ix_training_sets_case_id", "training_sets", ["case_id"], unique=False)
    op.create_table(
        "model_folders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=24), nullable=False),
        sa.Column("class_name", sa.String(length=120), nullable=False),
        sa.Column("architecture", sa.String(length=24), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "path", name="uq_model_folders_case_path"),
    )
    op.create_index("ix_model_folders_case_id", "model_folders", ["case_id"], unique=False)
    op.create_table(
        "model_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=24), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=True),
        sa.Column("model_sha256", sa.String(length=64), nullable=True),
        sa.Column("model_folder_id", sa.Integer(), nullable=True),
        sa.Column("training_set_id", sa.Integer(), nullable=True),
        sa.Column("bank", sa.String(length=100), nullable=True),
        sa.Column("bank_entry_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["source_sha256"], ["items.sha256"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["model_sha256"], ["items.sha256"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["model_folder_id"], ["model_folders.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["training_set_id"], ["training_sets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_model_links_case_source", "model_links", ["case_id", "source_sha256"], unique=False
    )
    op.create_index(
        "ix_model_links_case_model", "model_links", ["case_id", "model_sha256"], unique=False
    )
    op.create_index(
        "ix_model_links_case_training_set",
        "model_links",
        ["case_id", "training_set_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("model_links")
    op.drop_table("model_folders")
    op.drop_table("training_sets")
    op.drop_table("model_hashes")
