"""Storage: SQLAlchemy 2.0 models, the engine factory, writes (store) and reads (queries)."""
