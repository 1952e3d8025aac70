"""The tokenizer statistics (`harness tokenizer-report`) on the Languages page: per checkpoint and
language beside its scores, parity with English per language, and one checkpoint against a base
(by default its lineage parent: a `vocab` recipe's output against the model it extended)."""

from typing import Any

from sqlalchemy import Engine

from db import tokenizer_queries as tq

COLUMNS = {
    "tokens_per_word": "tokens/word",
    "tokens_per_char": "tokens/char",
    "bytes_per_token": "bytes/token",
    "parity": "parity (vs eng_Latn)",
    "unk_share": "unk share",
    "byte_fallback_share": "byte-fallback share",
    "score": "score (primary, mean)",
}


def _stats_frame(rows: list[tq.TokenizerRow]) -> Any:
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "model": tq.checkpoint_label(r.model, r.source, r.step),
                "language": f"{r.name} ({r.language})",
                "sentences": r.sentences,
                "tokens": r.tokens,
                **{label: getattr(r, key) for key, label in COLUMNS.items()},
                "score tasks": r.score_tasks,
                "vocab": r.vocab_size,
                "fallback rule": r.fallback_rule,
            }
            for r in rows
        ]
    )


def _parity_chart(frame: Any) -> Any:
    import altair as alt

    parity = COLUMNS["parity"]
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("language:N", title=None),
            xOffset="model:N",
            y=alt.Y(f"{parity}:Q", title="tokens relative to English (parity)"),
            color=alt.Color("model:N"),
            tooltip=["model", "language", alt.Tooltip(f"{parity}:Q", format=".2f"), "tokens"],
        )
    )
    one = alt.Chart().mark_rule(strokeDash=[4, 4]).encode(y=alt.datum(1.0))
    return alt.layer(bars, one, data=frame)


def _before_after(engine: Engine) -> None:
    import altair as alt
    import pandas as pd
    import streamlit as st

    from app.common import keep, url_value

    checkpoints = tq.tokenized_checkpoints(engine)
    st.subheader("Before and after")
    if len(checkpoints) < 2:
        st.caption("Report a second tokenizer (e.g. a vocab recipe's output and its base) to compare them.")
        return
    by_id = {c.checkpoint_id: c for c in checkpoints}
    ids = list(by_id)
    left, right = st.columns(2)
    default = next((c.checkpoint_id for c in checkpoints if c.parent_id in by_id), ids[-1])
    chosen = left.selectbox(
        "Checkpoint", ids, index=url_value("tok_after", ids, default), format_func=lambda i: by_id[i].label
    )
    keep("tok_after", chosen)
    others = [i for i in ids if i != chosen]
    parent = by_id[chosen].parent_id
    base = right.selectbox(
        "Against",
        others,
        index=url_value("tok_base", others, parent if parent in others else None),
        format_func=lambda i: by_id[i].label + (" (its parent)" if i == parent else ""),
    )
    keep("tok_base", base)
    changes = tq.tokenizer_change(engine, chosen, base)
    if not changes:
        st.info("The two checkpoints share no language in their tokenizer reports.")
        return
    frame = pd.DataFrame(
        [
            {
                "language": f"{c.name} ({c.language})",
                "tokens before": c.base_tokens,
                "tokens after": c.tokens,
                "token change": c.token_change,
                "tokens/word before": c.base_tokens_per_word,
                "tokens/word after": c.tokens_per_word,
                "parity before": c.base_parity,
                "parity after": c.parity,
                "byte-fallback before": c.base_byte_fallback_share,
                "byte-fallback after": c.byte_fallback_share,
            }
            for c in changes
        ]
    )
    from app.tables import dataframe, styled

    dataframe(styled(frame), hide_index=True, width="stretch")
    parity = ["parity before", "parity after"]
    long = frame.melt(id_vars="language", value_vars=parity, var_name="tokenizer", value_name="parity")
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("language:N", title=None),
            xOffset="tokenizer:N",
            y=alt.Y("parity:Q", title="parity with English"),
            color=alt.Color("tokenizer:N", sort=parity),
            tooltip=["language", "tokenizer", alt.Tooltip("parity:Q", format=".2f")],
        )
    )
    st.altair_chart(chart)


def render_tokenizer_panel(engine: Engine) -> None:
    """The panel: statistics table, parity chart, before/after; a hint when nothing is stored."""
    import streamlit as st

    st.header("Tokenizers")
    rows = tq.tokenizer_rows(engine)
    if not rows:
        st.info("No tokenizer statistics yet: run `harness tokenizer-report --model M --langs ...`.")
        return
    st.caption(
        "FLORES-200 devtest, no special tokens. Parity: mean over the parallel sentences of the "
        "language's tokens / English's (Petrov et al. 2023). Tokens per word is empty for scripts "
        "written without spaces. Score: the checkpoint's mean primary metric over its tasks in that "
        "language. See docs/tokenizers.md."
    )
    from app.tables import dataframe, styled

    frame = _stats_frame(rows)
    dataframe(styled(frame), hide_index=True, width="stretch")
    st.altair_chart(_parity_chart(frame))
    _before_after(engine)
