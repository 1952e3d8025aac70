"""The leaderboard app: `harness app` (or `streamlit run app/main.py`), reading the database named
by `HARNESS_DB` through `db.app_queries`. It never imports the evaluation engine."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run app/main.py` puts only app/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

PAGES = Path(__file__).resolve().parent / "pages"

st.set_page_config(page_title="polyglot-harness", layout="wide")
navigation = st.navigation(
    [
        st.Page(PAGES / "leaderboard.py", title="Leaderboard", url_path="leaderboard", default=True),
        st.Page(PAGES / "languages.py", title="Languages", url_path="languages"),
        st.Page(PAGES / "checkpoints.py", title="Checkpoints", url_path="checkpoints"),
        st.Page(PAGES / "compare.py", title="Compare", url_path="compare"),
        st.Page(PAGES / "run.py", title="Run", url_path="run"),
    ]
)
navigation.run()
