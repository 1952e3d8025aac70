"""The leaderboard app: `harness app` (or `streamlit run app/main.py`), reading the database named
by `HARNESS_DB` through `db/`. It never imports the evaluation engine.

Every page has its own URL (`/leaderboard`, `/languages`, ...). Streamlit serves its default page
at `/` only, so that a link to `/leaderboard` would meet "Page not found": the default page here
is a hidden one that sends the visitor on to the leaderboard, keeping the query string.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run app/main.py` puts only app/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

# The page scripts live in views/, not pages/: a pages/ folder beside this file also turns on
# Streamlit's older folder-based navigation, which runs a page without this file.
VIEWS = Path(__file__).resolve().parent / "views"
APP_TITLE = "polyglot-harness"

PAGES = [
    st.Page(VIEWS / "leaderboard.py", title="Leaderboard", url_path="leaderboard"),
    st.Page(VIEWS / "languages.py", title="Languages", url_path="languages"),
    st.Page(VIEWS / "checkpoints.py", title="Checkpoints", url_path="checkpoints"),
    st.Page(VIEWS / "adaptation.py", title="Adaptation", url_path="adaptation"),
    st.Page(VIEWS / "compare.py", title="Compare", url_path="compare"),
    st.Page(VIEWS / "run.py", title="Run", url_path="run"),
]


def _home() -> None:
    """`/`: on to the leaderboard, with the same query string (a shared `/?family=flores` link)."""
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    st.switch_page(PAGES[0], query_params=params)


HOME = st.Page(_home, title="Leaderboard", url_path="home", default=True, visibility="hidden")

current = st.navigation([HOME, *PAGES])
st.set_page_config(page_title=f"{current.title} · {APP_TITLE}", layout="wide")
current.run()
