"""Every post-generation scorer, by the name `harness rescore --metric` and the run fingerprint use:
one explicit name -> "module:Class" map, imported lazily (the class fulfils
`harness.scorers.base.ScorerFactory`). `harness eval` runs them in this order."""

import importlib
from typing import cast

from core.errors import HarnessError
from harness.scorers.base import Scorer, ScorerContext, ScorerFactory

SCORERS: dict[str, str] = {
    "comet": "harness.scorers.comet:Comet",
    "cometkiwi": "harness.scorers.comet_qe:CometKiwi",
    "xcomet": "harness.scorers.xcomet:XComet",
    "lid": "harness.scorers.lid:Lid",
    "judge": "harness.scorers.judge:JudgeScorer",
}


def scorer_class(name: str) -> ScorerFactory:
    if name not in SCORERS:
        raise HarnessError(f"--metric {name}: unknown; rescore computes {', '.join(SCORERS)}")
    module, _, attr = SCORERS[name].partition(":")
    return cast(ScorerFactory, getattr(importlib.import_module(module), attr))


def scorers_for_run(context: ScorerContext) -> list[Scorer]:
    """The scorers `harness eval` runs: each that the run's options and tasks ask for, in order."""
    out = []
    for name in SCORERS:
        scorer = scorer_class(name).for_run(context)
        if scorer is not None:
            out.append(scorer)
    return out
