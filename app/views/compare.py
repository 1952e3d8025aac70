"""Compare two runs: per-task delta with a paired-bootstrap 95% interval, a paired permutation test
with Holm's adjustment over the tasks shown, and the documents behind it."""

import pandas as pd
import streamlit as st

from app.charts import scatter_chart
from app.common import engine, md_escape, selectbox, stop_if_empty
from app.tables import dataframe, styled
from core.scale import fmt, fmt_delta, shown
from core.stats import min_differing
from db import app_queries as q

ALPHA = 0.05

st.title("Compare")
runs = q.list_runs(engine())
stop_if_empty(bool(runs))
labels = {
    r.run_id: f"{r.model}" + (f"@{r.step}" if r.step is not None else "") + f" · {r.run_id[:8]}" for r in runs
}
ids = list(labels)
run_a = selectbox("Run A (baseline)", "a", ids, format_func=labels.__getitem__, prefix=True)
run_b = selectbox(
    "Run B", "b", ids, default=ids[1] if len(ids) > 1 else None, format_func=labels.__getitem__, prefix=True
)
deltas = q.compare_runs(engine(), run_a, run_b, alpha=ALPHA)
st.subheader(f"B minus A: {md_escape(labels[run_b])} vs {md_escape(labels[run_a])}")
if not deltas:
    st.warning("The two runs share no scored documents.")
    st.stop()
st.caption(
    "Per-document primary score as each task's family declared it (sentence chrF++ for translation, "
    "accuracy for choice tasks, a record's points rate for GAOKAO-Bench), documents paired on their hash; "
    "accuracies and rates x100 (0-100, as the leaderboard). Paired permutation test of the mean "
    "difference (exact sign-flip; exact McNemar for right/wrong scores), its p-value adjusted by Holm "
    f"over the {len(deltas)} tasks shown; 95% paired-bootstrap interval of the difference. "
    f"*Not enough evidence*: fewer than {min_differing(ALPHA)} documents differ, so no outcome could "
    f"reach p < {ALPHA}."
)


def interval(d: q.TaskDelta) -> str:
    """The delta's interval on the metric's display scale (already clipped to the metric's span)."""
    return f"[{fmt_delta(d.metric, d.ci_low)}, {fmt_delta(d.metric, d.ci_high)}]"


def said(d: q.TaskDelta) -> str:
    return {"better": "B better", "worse": "B worse"}.get(d.verdict, d.verdict)


table = pd.DataFrame(
    [
        {
            "task": d.task,
            "metric": d.metric,
            "n": d.n,
            "differing": d.differing,
            "A": fmt(d.metric, d.a),
            "B": fmt(d.metric, d.b),
            "delta": fmt_delta(d.metric, d.delta),
            "95% CI": interval(d),
            "p": f"{d.p_value:.4f}",
            "p (Holm)": f"{d.p_holm:.4f}",
            "verdict": said(d),
        }
        for d in deltas
    ]
)
counts = table["verdict"].value_counts()
VERDICTS = ("B better", "B worse", "no significant difference", "not enough evidence")
st.markdown(" · ".join(f"**{counts.get(v, 0)}** {v}" for v in VERDICTS))
st.altair_chart(scatter_chart(deltas, labels[run_a], labels[run_b]), width="content")
st.caption(
    "One point per task: A's score across, B's up, per metric. Above the dashed diagonal B scored "
    f"higher. Coloured triangles: B better or worse at Holm-adjusted p < {ALPHA}; grey squares: "
    "not enough evidence."
)
dataframe(styled(table), width="stretch", hide_index=True)

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
            f"{metric} A": shown(metric, s.score_a),
            f"{metric} B": shown(metric, s.score_b),
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
            "A": shown(metric, s.score_a),
            "B": shown(metric, s.score_b),
        }
        for s in samples
    ]
st.caption(f"{len(rows)} documents" + (" (first 200)" if len(rows) == 200 else ""))
documents = pd.DataFrame(rows)
scores = [c for c in documents.columns if c in ("A", "B", f"{metric} A", f"{metric} B")]
dataframe(styled(documents, metric, columns=scores), width="stretch", hide_index=True)
