"""Tables as every page shows them: numbers already on their metric's display scale
(`core.scale`), rounded to the metric's precision, and `core.scale.BLANK` for anything missing,
never "None" or "nan". The numbers stay numbers (a header click sorts them); only their display
text is set, through a pandas Styler, which `st.dataframe` and `st.table` draw as formatted."""

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from core.scale import BLANK, fmt_shown, text


def styled(
    frame: pd.DataFrame,
    metric: str | None = None,
    columns: Sequence[str] | None = None,
    metric_of_row: Mapping[object, str] | None = None,
) -> Styler:
    """`frame` with BLANK for missing cells; `columns` (default: every float column) rounded for
    `metric`, or per row for the metric `metric_of_row` names for the row's index."""
    numeric = list(columns) if columns is not None else list(frame.select_dtypes("floating").columns)
    style = frame.style.format(na_rep=BLANK)
    if not numeric:
        return style
    if metric_of_row is None:
        return style.format(lambda v: fmt_shown(metric or "", _number(v)), subset=numeric, na_rep=BLANK)
    by_metric: dict[str, list[object]] = {}
    for index, name in metric_of_row.items():
        by_metric.setdefault(name, []).append(index)
    for name, rows in by_metric.items():
        style = style.format(
            lambda v, name=name: fmt_shown(name, _number(v)),
            subset=pd.IndexSlice[rows, numeric],
            na_rep=BLANK,
        )
    return style


def _number(value: object) -> float | None:
    if value is None:
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def cells(values: Sequence[object]) -> list[str]:
    """Display text of plain cells (a fingerprint's fields): BLANK for None and NaN."""
    return [text(v) for v in values]


def dataframe(data: pd.DataFrame | Styler, **kwargs: Any) -> Any:
    """`st.dataframe` with BLANK for missing cells: the grid draws a null as "None" by default,
    whatever a Styler says."""
    import streamlit as st

    return st.dataframe(data, placeholder=BLANK, **kwargs)
