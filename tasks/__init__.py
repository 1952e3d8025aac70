"""Task specs: one folder per family, each an lm-eval task config built from a template."""
