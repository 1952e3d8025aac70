"""Compare two runs: per-task delta with a paired-bootstrap 95% interval, and the documents behind it."""

import pandas as pd
import streamlit as st

from app.charts import scatter_chart
from app.common import engine, selectbox, stop_if_empty
from app.tables import fmt
from db import app_queries as q

st.title("Compare")
runs = q.list_runs(engine())
stop_if_empty(bool(runs))
labels = {
    r.run_id: f"{r.model}" + (f"@{r.step}" if r.step is not None else "") + f" · {r.run_id[:8]}" for r in runs
}
ids = list(labels)
run_a = selectbox("Run A (baseline)", "a", ids, format_func=labels.__getitem__)
run_b = selectbox("Run B", "b", ids, default=ids[1] if len(ids) > 1 else None, format_func=labels.__getitem__)

deltas = q.compare_runs(engine(), run_a, run_b)
st.subheader(f"B minus A: {labels[run_b]} vs {labels[run_a]}")
if not deltas:
    st.warning("The two runs share no scored documents.")
    st.stop()
st.caption(
    "Per-document primary score as each task's family declares it (sentence chrF++ for translation, "
    "accuracy for choice tasks, a record's points rate for GAOKAO-Bench), documents paired on their hash; "
    "95% paired-bootstrap interval (1000 resamples); significant at p < 0.05."
)
table = pd.DataFrame(
    [
        {
            "task": d.task,
            "metric": d.metric,
            "n": d.n,
            "A": fmt(d.a),
            "B": fmt(d.b),
            "delta": fmt(d.delta),
            "95% CI": f"[{fmt(d.ci_low)}, {fmt(d.ci_high)}]",
            "p": f"{d.p_value:.4f}",
            "significant": "yes" if d.significant else "no",
        }
        for d in deltas
    ]
)
st.altair_chart(scatter_chart(deltas, labels[run_a], labels[run_b]), width="content")
st.caption(
    "One point per task: A's score across, B's up, per metric. Above the dashed diagonal B scored "
    "higher. Coloured triangles: the paired-bootstrap difference is significant (p < 0.05)."
)
st.dataframe(table, width="stretch", hide_index=True)

st.subheader("Documents")
tasks = [d.task for d in deltas]
task = selectbox("Task", "task", tasks)
metric = {d.task: d.metric for d in deltas}[task]
graded = metric != "acc"  # right and wrong are the outcomes of a 0/1 score; others are better or worse
outcomes = ["all", "a_better", "b_better"] if graded else list(q.OUTCOMES)
names = {
    "all": "all",
    "a_right_b_wrong": "A right, B wrong",
    "a_wrong_b_right": "A wrong, B right",
    "both_right": "both right",
    "both_wrong": "both wrong",
    "a_better": "A better",
    "b_better": "B better",
}
outcome = selectbox("Documents", "outcome", outcomes, format_func=names.__getitem__)
samples = q.paired_samples(engine(), run_a, run_b, task, outcome=outcome)  # type: ignore[arg-type]


def source(prompt: str) -> str:
    """The sentence to translate: the last `Language: text` line before the open target line."""
    lines = prompt.rstrip().splitlines()
    line = lines[-2] if len(lines) >= 2 else prompt
    return line.split(": ", 1)[1] if ": " in line else line


if graded:
    rows = [
        {
            "doc": s.doc_id,
            "source": source(s.prompt),
            "reference": s.target,
            "hypothesis A": s.output_a,
            "hypothesis B": s.output_b,
            f"{metric} A": s.score_a,
            f"{metric} B": s.score_b,
        }
        for s in samples
    ]
else:
    rows = [
        {
            "doc": s.doc_id,
            "prompt": s.prompt,
            "target": s.target,
            "output A": s.output_a,
            "output B": s.output_b,
            "A": s.score_a,
            "B": s.score_b,
        }
        for s in samples
    ]
st.caption(f"{len(rows)} documents" + (" (first 200)" if len(rows) == 200 else ""))
st.dataframe(pd.DataFrame(rows), width="stretch", hide_index=True)
