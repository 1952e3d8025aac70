"""The engine: a run from its configuration (`specs`) to stored results. `run.evaluate` resolves
the model (`models`) and data (`data`), batches tasks into lm-eval calls (`batching`) on a backend
(`backends/`: harness-hf, lm-eval's hf, vLLM, a served API), answers from the response cache
(`response_cache`), passes each outcome through the run's scorers (`harness.scorers`) and stores
it; `groups` scores groups, `sweep` runs many models over Ray, `rescore` runs a scorer on a
stored run."""
