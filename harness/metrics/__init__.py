"""Metrics, one module per family. Heavy imports stay inside the functions that need them."""
