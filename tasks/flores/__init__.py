"""FLORES-200 translation tasks (see task.py)."""
