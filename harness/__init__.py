"""Multilingual LLM evaluation harness: lm-eval as the engine, our tasks, metrics and storage.

The package is in four rooms, each importing only the ones before it:
- `harness.scorers`: what scores outputs after generation (COMET, language ID, the LLM judge),
  behind one interface;
- `harness.engine`: a run from configuration to stored results (models, data, batching,
  backends, response cache, group scores), and rescoring of stored runs;
- `harness.analysis`: comparisons and reports on stored results (gate, report, tokenizer report,
  contamination, ingest);
- `harness.cli`: the `harness` command, one small module per command.
`harness.output` (terminal tables, JSON) serves all four.
"""

__version__ = "0.1.0"
