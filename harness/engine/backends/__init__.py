"""Model backends: lm-eval model classes we build or register."""
