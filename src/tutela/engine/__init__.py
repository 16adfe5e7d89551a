"""Batch execution: turn paths into tasks, run the pipeline on them, persist results."""
