"""The bottom layer: errors, result records, hashing, statistics, paths, MT metrics and the
FLORES-200 language table. It imports nothing else of ours; `tasks/`, `db/` and the engine
(`harness/`) build on it."""
