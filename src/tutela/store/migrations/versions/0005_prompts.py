"""prompts: per-user strikes and cool-downs after blocked prompts

Revision ID: 0005_prompts
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_prompts"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prompt_strikes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_key", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("concepts", sa.JSON(), nullable=False),
        sa.Column("policy", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_prompt_strikes_user_at", "prompt_strikes", ["user_key", "created_at"], unique=False
    )
    op.create_table(
        "prompt_cooldowns",
        sa.Column("user_key", sa.String(length=200), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocks", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_key"),
    )


def downgrade() -> None:
    op.drop_table("prompt_cooldowns")
    op.drop_index("ix_prompt_strikes_user_at", table_name="prompt_strikes")
    op.drop_table("prompt_strikes")
