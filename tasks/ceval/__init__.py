"""C-Eval: 52 Chinese exam subjects (validation split), as lm-eval's ceval-valid prompts them."""
