"""Multilingual LLM evaluation harness: lm-eval as the engine, our tasks, metrics and storage."""

__version__ = "0.1.0"
