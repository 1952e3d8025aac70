"""SIB-200: topic classification of FLORES-200 sentences, one task per language folder of the data."""
