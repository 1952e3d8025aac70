"""The report's comparison with a baseline: one row per task and the words it may use, only where
the gate's permutation test (Holm-adjusted) supports them."""

from core.scale import BLANK, fmt, fmt_delta, scale_of
from harness.analysis.gate import GateReport, TaskVerdict
from harness.analysis.report_model import (
    DAGGER,
    DIRECTIONAL_N,
    MIN_INTERVAL_N,
    public,
)

COMPARE_HEADER = [
    "task",
    "metric",
    "baseline",
    "this run",
    "change",
    "95% CI",
    "differing",
    "p (Holm)",
    "verdict",
]


def verdict_text(v: TaskVerdict, alpha: float) -> str:
    """The verdict in words the test supports: significant only below `alpha` after Holm."""
    word = getattr(v, "verdict", None) or ("regression" if v.failed else "no significant change")
    r = v.result
    differing = getattr(r, "differing", v.changed_outputs)
    if word == "not enough evidence" and differing == 0:
        return "not enough evidence (no document differs)"
    if word == "not enough evidence":
        floor = getattr(r, "min_p", 1.0)
        return (
            f"not enough evidence ({differing} of {r.n} documents differ; smallest possible p = {floor:.2g})"
        )
    if word in ("regression", "improvement"):
        return f"significant {word} (p Holm = {v.p_holm:.2g} < {alpha:g})"
    return f"no significant change (p Holm = {v.p_holm:.2g})"


def _compare_rows(gate: GateReport) -> list[list[str]]:
    rows = []
    for v in gate.verdicts:
        r, m = v.result, v.metric
        s = scale_of(m)
        low, high = r.ci_low * s.factor, r.ci_high * s.factor
        if s.low is not None and s.high is not None:  # a change lives in [-range, +range]
            span = s.high - s.low
            low, high = max(low, -span), min(high, span)
        ci = f"[{low:+.{s.digits}f}, {high:+.{s.digits}f}]" + (DAGGER if r.n < DIRECTIONAL_N else "")
        if r.n < MIN_INTERVAL_N or (low == high and r.n < DIRECTIONAL_N):
            ci = BLANK
        rows.append(
            [
                v.task,
                m,
                fmt(m, r.baseline),
                fmt(m, r.candidate),
                fmt_delta(m, r.delta),
                ci,
                f"{getattr(r, 'differing', v.changed_outputs)}/{r.n}",
                f"{v.p_holm:.3g}",
                verdict_text(v, gate.alpha),
            ]
        )
    return rows


def compare_summary(gate: GateReport) -> str:
    """One line: which tasks got which verdict (never a direction the test does not support)."""
    by_word: dict[str, list[str]] = {}
    for v in gate.verdicts:
        word = getattr(v, "verdict", None) or ("regression" if v.failed else "no significant change")
        by_word.setdefault(word, []).append(v.task)
    total = len(gate.verdicts)
    parts = []
    for word in ("regression", "improvement"):
        if word in by_word:
            tasks = by_word[word]
            parts.append(f"significant {word} in {len(tasks)} of {total} task(s) ({', '.join(tasks)})")
    for word in ("no significant change", "not enough evidence"):
        if word in by_word:
            parts.append(f"{word} in {len(by_word[word])} of {total}")
    return public(f"Against {gate.baseline}: " + "; ".join(parts) + ".")


def compare_rule(gate: GateReport) -> str:
    return (
        "Paired on the documents both runs scored; p-values Holm-adjusted over "
        f"{len(gate.verdicts)} task(s). A change is called significant only when its adjusted p-value is "
        f"below {gate.alpha:g}; with too few differing documents no outcome could reach that, and the "
        "task says not enough evidence. "
        "The report exits 0 whatever it finds: `harness gate` gates."
    )
