"""KoBEST: Korean BoolQ, COPA, HellaSwag, SentiNeg and WiC, as lm-eval prompts them."""
