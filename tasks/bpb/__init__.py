"""Bits per byte: FLORES-200 sentences scored by rolling loglikelihood, one task per language."""
