"""Where language views place a stored result: `core.languages.placed_language` as a SQL expression
over `task_results`, so that views aggregate by it in SQL."""

from sqlalchemy import and_, case
from sqlalchemy.sql.elements import ColumnElement

from core.languages import PIVOT_LANGUAGE
from db.models import TaskResult


def placed_language() -> ColumnElement[str | None]:
    """The result's language, or its source language for a translation into English."""
    into_pivot = and_(TaskResult.language == PIVOT_LANGUAGE, TaskResult.source_language.is_not(None))
    return case((into_pivot, TaskResult.source_language), else_=TaskResult.language)
