"""Run: everything that identifies a run (versions, task hashes, prompt, decoding, dtype) and its results."""

import pandas as pd
import streamlit as st

from app.common import engine, md_escape, selectbox, stop_if_empty
from app.tables import cells, dataframe, styled
from core.scale import scale_of, shown
from db import app_queries as q


def markdown_cells(values: list[object]) -> list[str]:
    """Display text of stored values for `st.table`, whose cells are Markdown: escaped."""
    return [md_escape(cell) for cell in cells(values)]


st.title("Run")
runs = q.list_runs(engine(), include_incomplete=True)
stop_if_empty(bool(runs), "runs")
labels = {
    r.run_id: f"{r.model}" + (f"@{r.step}" if r.step is not None else "") + f" · {r.run_id[:8]} · {r.status}"
    for r in runs
}
run_id = selectbox(
    "Run", "run", list(labels), format_func=labels.__getitem__, prefix=True, help="A run id or its start"
)
detail = q.run_detail(engine(), run_id)
assert detail is not None

st.subheader(f"{md_escape(detail.model)} · {detail.run_id}")
st.table(
    pd.DataFrame(
        {
            "field": [
                "status",
                "checkpoint",
                "kind",
                "step",
                "tokens seen",
                "parent",
                "started",
                "finished",
                "error",
            ],
            "value": markdown_cells(
                [
                    detail.status,
                    detail.checkpoint,
                    detail.kind,
                    detail.step,
                    detail.tokens_seen,
                    detail.parent,
                    detail.started_at,
                    detail.finished_at,
                    detail.error,
                ]
            ),
        }
    ).set_index("field")
)


def flatten(value: object, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in flatten(item, f"{prefix}{key}.")]
    return [(prefix.rstrip("."), value)]


st.subheader("Fingerprint")
fields = flatten(detail.fingerprint)
st.table(
    pd.DataFrame(
        {"field": markdown_cells([f for f, _ in fields]), "value": markdown_cells([v for _, v in fields])}
    ).set_index("field")
)

if detail.recipe:
    st.subheader("Recipe")
    st.json(detail.recipe)

st.subheader("Results")
st.caption("Accuracies and rates x100 (0-100, as the leaderboard shows them); others in their own unit.")
results = pd.DataFrame([r.__dict__ for r in detail.results])
if not results.empty:
    results["value"] = [shown(m, v) for m, v in zip(results.metric, results.value, strict=True)]
    results["stderr"] = [shown(m, v) for m, v in zip(results.metric, results.stderr, strict=True)]
    results["value"] = results["value"].astype("float64")
    results["stderr"] = results["stderr"].astype("float64")
    scales = ["0-100" if scale_of(m).high is not None else "own unit" for m in results.metric]
    results.insert(4, "scale", scales)
    rows = dict(zip(results.index, results.metric, strict=True))
    shown_results = styled(results, columns=["value", "stderr"], metric_of_row=rows)
    dataframe(shown_results, width="stretch", hide_index=True)
else:
    st.info("This run stored no results.")
