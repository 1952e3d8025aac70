"""Analyses of stored results: `gate` (paired comparison of two runs, on `core.stats`) and
`gate_report`, `report` (one run as a document: `report_model`, `report_render`, `report_compare`,
`report_svg`), `tokenizer_report` (with `tokenizers`), `contamination` and `ingest` (lm-eval's
result files)."""
