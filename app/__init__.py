"""The Streamlit leaderboard. It reads only through `db.queries` and never imports the engine."""
