"""Instruction-following MT: IF-MT with an LLM judge, and terminology-constrained translation."""
