"""AGIEval v1 Gaokao: eight multiple-choice sets and the math cloze set, as lm-eval scores them."""
