"""What every page shares: the database engine, page state kept in the URL (`st.query_params`),
so that a view can be shared by its link, and what an empty database says."""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import streamlit as st
from sqlalchemy import Engine

from core.errors import HarnessError
from core.text import md_text
from db.session import make_engine

T = TypeVar("T")


@st.cache_resource
def _engine(url: str | None) -> Engine:
    """Read-only: the app never creates, migrates or writes a database (`db.session.make_engine`)."""
    return make_engine(url, read_only=True)


def _missing_sqlite_file(url: str) -> bool:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = parsed.database or ""
    return (
        parsed.get_backend_name() == "sqlite" and bool(database) and not Path(database).expanduser().exists()
    )


def database_url() -> str:
    """The URL of the database the app reads: `HARNESS_DB`, else the default local SQLite file."""
    import os

    from core.paths import default_db_url

    return os.environ.get("HARNESS_DB") or default_db_url()


def engine() -> Engine:
    """The database named by `HARNESS_DB` (else the default local SQLite file), opened read-only;
    a database that is not there yet gets the command that fills it, any other problem its message."""
    url = database_url()
    if _missing_sqlite_file(url):
        stop_if_empty(False)
    try:
        return _engine(url)
    except HarnessError as exc:
        st.error(md_escape(str(exc)))
        st.stop()


def shown_url() -> str:
    """The database URL as a viewer may see it: a password is replaced by `***`."""
    from sqlalchemy.engine import make_url

    return make_url(database_url()).render_as_string(hide_password=True)


def fill_command() -> str:
    """The command that stores a first run in the database this app reads."""
    return (
        "harness eval --model smollm2-135m --tasks flores_lin --bundled-sample --limit 10 "
        f"--db '{shown_url()}'"
    )


def stop_if_empty(has_rows: bool, what: str = "complete runs") -> None:
    """On an empty database: say how to fill it (the exact `harness eval` command), then stop."""
    if has_rows:
        return
    st.info(
        f"No {what} in the database yet ({shown_url()}). Evaluate a model to fill it, for example "
        "SmolLM2-135M on Lingala<->English FLORES with the bundled sample, then reload this page:"
    )
    st.code(fill_command(), language="bash")
    st.caption(
        "Any model and tasks work the same way: `harness eval --model PATH|ALIAS|HUB_ID --tasks LIST "
        "--db URL`; `harness tasks list` shows the tasks."
    )
    st.stop()


def md_escape(value: object) -> str:
    """A string from the URL or the database as literal Markdown for `st.markdown`, captions,
    headings, `st.table` cells and widget labels and help (select options are not Markdown):
    `core.text.md_text`, the rule the reports use."""
    return md_text(value)


def _quoted(value: str) -> str:
    return f"“{md_escape(value)}”" if value else "(empty)"


def _warn(message: str) -> None:
    st.warning(message, icon="⚠️")


def url_list(key: str, options: Sequence[str]) -> list[str]:
    """The values of `key` in the URL that are valid options; a visible warning names the others."""
    values = st.query_params.get_all(key)
    unknown = [value for value in values if value not in options]
    if unknown:
        names = ", ".join(_quoted(v) for v in unknown)
        _warn(f"The link's **{key}** value {names} names nothing here: left out of the filter.")
    return [value for value in values if value in options]


def resolve(key: str, labels: Sequence[str], prefix: bool = False) -> int | None:
    """Index of the URL's value of `key` among `labels`: an exact match, else (with `prefix`) the one
    label that starts with it, as the 8-character run ids the app shows. None when the URL has no
    value; a value that names nothing, or more than one, gives a visible warning and None."""
    value = st.query_params.get(key)
    if value is None:
        return None
    if value in labels:
        return labels.index(value)
    matches = [i for i, label in enumerate(labels) if prefix and value and label.startswith(value)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        _warn(
            f"The link's **{key}** value {_quoted(value)} is the start of {len(matches)} values here; "
            "showing the default instead. Give more of it."
        )
    else:
        _warn(f"The link's **{key}** value {_quoted(value)} names nothing here; showing the default instead.")
    return None


def url_value(key: str, options: Sequence[T], default: T | None = None, prefix: bool = False) -> int:
    """Index of the URL's value of `key` among `options` (else of `default`, else 0); see `resolve`."""
    labels = [str(option) for option in options]
    index = resolve(key, labels, prefix)
    if index is not None:
        return index
    if default is not None and str(default) in labels:
        return labels.index(str(default))
    return 0


def keep(key: str, value: object) -> None:
    """Write a widget's value back to the URL (a list as repeated keys; empty removes it)."""
    if isinstance(value, list | tuple):
        values = [str(v) for v in value]
        if values != st.query_params.get_all(key):
            if values:
                st.query_params[key] = values
            elif key in st.query_params:
                del st.query_params[key]
    elif value is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != str(value):
        st.query_params[key] = str(value)


def multiselect(label: str, key: str, options: Sequence[str], container: object = None) -> list[str]:
    """A multiselect (in the sidebar by default) whose values live in the URL under `key`."""
    where = container if container is not None else st.sidebar
    chosen = where.multiselect(label, options, default=url_list(key, options))  # type: ignore[attr-defined]
    keep(key, chosen)
    return list(chosen)


def selectbox(
    label: str,
    key: str,
    options: Sequence[str],
    default: str | None = None,
    help: str | None = None,
    format_func: Callable[[str], str] = str,
    prefix: bool = False,
) -> str:
    """A sidebar selectbox whose value lives in the URL under `key`; with `prefix`, a unique prefix
    of an option in the URL selects it (run ids)."""
    index = url_value(key, options, default, prefix)
    chosen = st.sidebar.selectbox(label, list(options), index=index, help=help, format_func=format_func)
    value = str(chosen if chosen is not None else options[index])
    keep(key, value)
    return value
