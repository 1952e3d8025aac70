"""Adaptation: what each training step did to each language. For a base model and every recipe
adapted from it (`harness adapt`), each checkpoint against the base
(`harness.analysis.adaptation.checkpoint_series`, the comparison `harness compare` prints): a
language x checkpoint heatmap of the gain, the trade-off between the gain on the target languages
and the change on the rest, and bits per byte over the training steps."""

import pandas as pd
import streamlit as st

from app.adaptation_charts import (
    BPB,
    ENGLISH,
    SIGNIFICANT,
    Checkpoint,
    bpb_chart,
    bpb_frame,
    change_heatmap,
    metrics_of,
    targets_of,
    tradeoff_chart,
    tradeoff_frame,
)
from app.common import database_url, engine, md_escape, multiselect, selectbox, stop_if_empty
from app.tables import dataframe, styled
from core.errors import HarnessError
from core.scale import shown
from db import adaptation_queries as aq
from db import app_queries as q
from harness.analysis.adaptation import SeriesPoint, checkpoint_series

ALPHA = 0.05


@st.cache_data(ttl=120, show_spinner="Comparing each checkpoint with its base...")
def _series(
    url: str, model: str, checkpoints: tuple[int, ...], targets: tuple[str, ...]
) -> list[SeriesPoint] | str:
    """The branch's checkpoints against its base (cached per database, model, checkpoints and
    targets; no targets: each checkpoint's recipe's); the error's message when they cannot be
    compared."""
    try:
        return checkpoint_series(engine(), model, targets=list(targets) or None, alpha=ALPHA)
    except HarnessError as exc:
        return str(exc)


def _lines(family: aq.Family) -> dict[str, str]:
    """Model -> the recipe's name as the legends show it (with the model when two share it)."""
    names = [b.recipe or b.model for b in family.branches]
    return {
        b.model: name if names.count(name) == 1 or name == b.model else f"{name} ({b.model})"
        for b, name in zip(family.branches, names, strict=True)
    }


st.title("Adaptation")
options = q.filter_options(engine())
models = options.models
stop_if_empty(bool(models))
in_lineage = aq.lineage_models(engine())
model = selectbox(
    "Model",
    "model",
    models,
    default=in_lineage[0] if in_lineage else None,
    help="A base model (every recipe adapted from it) or an adapted model (it and its siblings)",
)
family = aq.family_of(engine(), model)
if family is None:
    others = ", ".join(md_escape(m) for m in in_lineage[:8]) or "none yet"
    st.info(
        f"{md_escape(model)} has no lineage here: no checkpoint of it names a parent of another model, and "
        "no adapted model names it as its base (or the base has no complete run). `harness adapt RECIPE` "
        "registers each checkpoint with its base and recipe; evaluate the base and the checkpoints on the "
        f"same tasks (`bpb_<lang>`, FLORES, ...). Models in a lineage: {others}."
    )
    st.stop()

chosen_targets = multiselect(
    "Targets",
    "targets",
    options.languages,
    container=st.sidebar,
)
st.sidebar.caption(
    "Target languages, as `harness compare --targets` takes them; empty: each recipe's "
    "`target_languages` from its checkpoints' manifests."
)
lines = _lines(family)
checkpoints: list[Checkpoint] = []
for branch in family.branches:
    key = tuple(c.id for c in branch.checkpoints)
    series = _series(database_url(), branch.model, key, tuple(chosen_targets))
    if isinstance(series, str):
        st.warning(f"{md_escape(branch.model)}: {md_escape(series)}")
        continue
    checkpoints += [
        Checkpoint(lines[branch.model], p, p.comparison) for p in series if p.comparison is not None
    ]

base = family.base
base_label = f"{base.model}@{base.step}" if base.step is not None else base.model
st.caption(
    f"Base: **{md_escape(base_label)}** ({md_escape(base.source)}); recipes adapted from it: "
    + ", ".join(
        f"{md_escape(line)} ({md_escape(m)})" if line != m else md_escape(m) for m, line in lines.items()
    )
    + ". Each checkpoint against the base on every task both were scored on, documents paired on their "
    "hash (paired permutation or approximate randomization test, Holm over the checkpoint's tasks, 95% "
    "paired-bootstrap interval), each task's primary metric as its family declared it."
)
metrics = metrics_of(checkpoints)
if not metrics:
    st.info(
        f"Nothing to compare yet: no checkpoint adapted from {md_escape(base_label)} shares a scored task "
        "with it. Evaluate the base and the checkpoints on the same tasks."
    )
    st.stop()

targets = targets_of(checkpoints)
if targets:
    st.markdown("**Targets:** " + ", ".join(md_escape(t) for t in targets))
else:
    st.warning(
        "No target languages: the recipes' manifests declare no `target_languages`, so every language "
        "counts as *the rest* and the trade-off chart has no horizontal axis. `harness compare "
        "--targets` names them for one comparison."
    )
metric = selectbox("Metric", "metric", metrics, help="The primary metric the heatmap and trade-off show")
higher = next(ch.higher_is_better for c in checkpoints for ch in c.comparison.changes if ch.metric == metric)

st.subheader("Change per language against the base")
st.altair_chart(change_heatmap(checkpoints, metric), width="content")
significant = sum(ch.significant for c in checkpoints for ch in c.comparison.changes if ch.metric == metric)
st.caption(
    f"Colour: the gain in {md_escape(metric)} against the base, signed so that blue is always better and "
    f"red worse ({'higher' if higher else 'lower'} {md_escape(metric)} is better). {SIGNIFICANT} marks a "
    f"change significant at Holm-adjusted p < {ALPHA}: {significant} of the cells here. Hover a cell for "
    "the base, the checkpoint, the change, its interval and p."
)

st.subheader("Trade-off: gain on the targets against change on the rest")
trade = tradeoff_frame(checkpoints, metric) if targets else pd.DataFrame()
if trade.empty:
    st.info(
        f"No checkpoint has {md_escape(metric)} results on both a target language and another language: "
        "the trade-off needs both."
    )
else:
    st.altair_chart(tradeoff_chart(trade, metric, higher), width="content")
    st.caption(
        "One point per checkpoint: across, the mean gain over the target languages' tasks; up, the mean "
        "gain over the other languages' tasks (below zero: forgetting). The base is the origin; each "
        "recipe's checkpoints are joined in step order. Both axes are gains, so up and to the right is "
        "better"
        + ("." if higher else f" (lower {md_escape(metric)} is better: gain = base minus checkpoint).")
    )
    shown_rows = trade[trade.kind == "checkpoint"][
        ["recipe", "checkpoint", "step", "x", "y", "target_tasks", "rest_tasks", "gained", "forgot"]
    ].astype({"step": "Int64", "target_tasks": int, "rest_tasks": int})
    shown_rows = shown_rows.rename(
        columns={
            "x": "mean gain, targets",
            "y": "mean gain, rest",
            "target_tasks": "target tasks",
            "rest_tasks": "other tasks",
            "gained": "significant gains",
            "forgot": "significantly worse",
        }
    )
    dataframe(styled(shown_rows, metric, ["mean gain, targets", "mean gain, rest"]), hide_index=True)

st.subheader("Bits per byte over the training steps")
languages = [*targets, *([ENGLISH] if ENGLISH not in targets else [])]
curves = bpb_frame(checkpoints, languages)
if curves.empty:
    st.info(
        "No bits-per-byte results for the targets or English on both the base and a checkpoint: evaluate "
        "them on `bpb_<lang>` tasks (`harness eval --model CHECKPOINT --tasks bpb_lin,bpb_eng`)."
    )
else:
    drawn = [code for code in languages if code in set(curves["language"].str.rsplit(" · ", n=1).str[-1])]
    st.altair_chart(bpb_chart(curves, drawn), width="content")
    missing = [code for code in languages if code not in drawn]
    st.caption(
        "Bits per byte of the devtest sentences (lm-eval's rolling definition: tokenizer-independent), the "
        "base at step 0; lower is better."
        + (f" No bits-per-byte results for {', '.join(map(md_escape, missing))}." if missing else "")
    )
    values = curves.assign(value=[shown(BPB, v) for v in curves["value"]])
    table = values.pivot_table(index=["recipe", "language"], columns="step", values="value", sort=False)
    table.columns = [f"step {int(step)}" + (" (base)" if step == 0 else "") for step in table.columns]
    dataframe(styled(table, BPB), width="stretch")
