"""Run: everything that identifies a run (versions, task hashes, prompt, decoding, dtype) and its results."""

import pandas as pd
import streamlit as st

from app.common import engine, md_escape, selectbox, stop_if_empty
from app.tables import cells, dataframe, styled
from core.scale import scale_of, shown
from db import app_queries as q
from db.queries import list_samples


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

# xCOMET's error spans, stored per sample under this field by `harness rescore --metric xcomet` or
# `harness eval --xcomet-model` (harness/scorers/xcomet.py).
SPANS = "xcomet_error_spans"
spanned = sorted({r.task for r in detail.results if r.metric == "xcomet"})
if spanned:
    st.subheader("xCOMET error spans")
    span_task = selectbox("Error spans: task", "spans_task", spanned)
    samples = {str(s.doc_id): s for s in list_samples(engine(), run_id, span_task)}
    if samples:
        doc = selectbox("Error spans: document", "spans_doc", list(samples))
        sample = samples[doc]
        stored = sample.scores.get(SPANS)
        spans: list[dict] = [s for s in stored if isinstance(s, dict)] if isinstance(stored, list) else []
        st.caption(
            f"{md_escape(span_task)}, document {md_escape(doc)}: xCOMET "
            f"{md_escape(cells([sample.scores.get('xcomet')])[0])}; each span of the output with its "
            "severity (minor, major, critical) and the model's confidence."
        )
        st.table(
            pd.DataFrame(
                {
                    "field": ["source", "output", "reference"],
                    "text": markdown_cells([sample.scores.get("source"), sample.output, sample.target]),
                }
            ).set_index("field")
        )
        if spans:
            st.table(
                pd.DataFrame(
                    {
                        "text": markdown_cells([s.get("text") for s in spans]),
                        "severity": markdown_cells([s.get("severity") for s in spans]),
                        "confidence": markdown_cells([s.get("confidence") for s in spans]),
                        "start": markdown_cells([s.get("start") for s in spans]),
                        "end": markdown_cells([s.get("end") for s in spans]),
                    }
                )
            )
        else:
            st.info("xCOMET found no error span in this output.")
