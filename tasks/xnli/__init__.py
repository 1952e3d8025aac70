"""XNLI (15 languages + KorNLI's Korean) and AfriXNLI (languages discovered from the data)."""
