"""Scorers that run after generation, each behind `base.Scorer`: `comet` (COMET, from its own
environment), `lid` (output language identification, trained by `lid_build`), `judge` (an LLM
judge for IF-MT). `registry.SCORERS` names them; `harness eval` and `harness rescore` run them
the same way. They never import the engine: what they need from it comes in a `ScorerContext`."""
