"""Run: everything that identifies a run (versions, task hashes, prompt, decoding, dtype) and its results."""

import pandas as pd
import streamlit as st

from app.common import engine, selectbox, stop_if_empty
from db import app_queries as q

st.title("Run")
runs = q.list_runs(engine(), include_incomplete=True)
stop_if_empty(bool(runs), "runs")
labels = {
    r.run_id: f"{r.model}" + (f"@{r.step}" if r.step is not None else "") + f" · {r.run_id[:8]} · {r.status}"
    for r in runs
}
run_id = selectbox("Run", "run", list(labels), format_func=labels.__getitem__)
detail = q.run_detail(engine(), run_id)
assert detail is not None
st.subheader(f"{detail.model} · {detail.run_id}")
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
            "value": [
                str(v) if v is not None else ""
                for v in (
                    detail.status,
                    detail.checkpoint,
                    detail.kind,
                    detail.step,
                    detail.tokens_seen,
                    detail.parent,
                    detail.started_at,
                    detail.finished_at,
                    detail.error,
                )
            ],
        }
    ).set_index("field")
)


def flatten(value: object, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in flatten(item, f"{prefix}{key}.")]
    return [(prefix.rstrip("."), str(value))]


st.subheader("Fingerprint")
st.table(pd.DataFrame(flatten(detail.fingerprint), columns=["field", "value"]).set_index("field"))
if detail.recipe:
    st.subheader("Recipe")
    st.json(detail.recipe)
st.subheader("Results")
st.dataframe(pd.DataFrame([r.__dict__ for r in detail.results]), width="stretch", hide_index=True)
