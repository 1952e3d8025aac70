"""The leaderboard app: `harness app` (or `streamlit run app/main.py`), reading the database named
by `HARNESS_DB` through `db.app_queries`. It never imports the evaluation engine."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run app/main.py` puts only app/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

# The page scripts live in views/, not pages/: a pages/ folder beside this file also turns on
# Streamlit's older folder-based navigation, which runs a page without this file.
VIEWS = Path(__file__).resolve().parent / "views"

st.set_page_config(page_title="polyglot-harness", layout="wide")
navigation = st.navigation(
    [
        st.Page(VIEWS / "leaderboard.py", title="Leaderboard", url_path="leaderboard", default=True),
        st.Page(VIEWS / "languages.py", title="Languages", url_path="languages"),
        st.Page(VIEWS / "checkpoints.py", title="Checkpoints", url_path="checkpoints"),
        st.Page(VIEWS / "compare.py", title="Compare", url_path="compare"),
        st.Page(VIEWS / "run.py", title="Run", url_path="run"),
    ]
)
navigation.run()
