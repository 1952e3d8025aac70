"""The Adaptation page through Streamlit's AppTest on the fast seed (`tests/app/seed.py`): `lin-cpt`
has three checkpoints whose parent is `base-model`, but no recipe (so no targets); `other-model`
is in no lineage. The browser test on real training runs is `tests/e2e/test_adaptation_page.py`."""

import os

from tests.app.seed import seed
from tests.app.test_pages import page, shown_text


def test_a_model_in_no_lineage_says_so() -> None:
    seed(os.environ["HARNESS_DB"])
    at = page("views/adaptation.py", model="other-model")
    (info,) = at.info
    assert "other-model has no lineage here" in info.value
    assert "base-model" in info.value and "lin-cpt" in info.value  # the models that have one
    assert not at.get("vega_lite_chart")


def test_checkpoints_without_targets_draw_the_heatmap_and_say_why_there_is_no_tradeoff() -> None:
    seed(os.environ["HARNESS_DB"])
    at = page("views/adaptation.py", model="base-model")  # the base shows its branches
    assert at.query_params["model"] in ("base-model", ["base-model"])
    text = shown_text(at)
    assert "No target languages" in text
    assert "the trade-off needs both" in text
    assert "Base: **base-model**" in text and "lin-cpt" in text
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1  # the heatmap only: no targets, no bits per byte in this seed


def test_an_empty_database_shows_the_command_that_fills_it() -> None:
    at = page("views/adaptation.py")
    assert "No complete runs in the database yet" in shown_text(at)


def test_hostile_names_in_a_lineage_are_shown_as_written_never_as_markup() -> None:
    """A base, an adapted model and a recipe named as Markdown links and HTML: every text element
    shows them escaped (`md_escape`), none carries the raw markup."""
    import random

    from app.common import md_escape
    from core.lineage import Lineage
    from db import store
    from db.session import make_engine, make_session_factory
    from tests.app.seed import XNLI, _choice, _fingerprint, _store
    from tests.hostile import HTML, MARKDOWN

    url = os.environ["HARNESS_DB"]
    factory = make_session_factory(make_engine(url))
    rng = random.Random(5)
    recipe = {"name": HTML, "target_languages": ["swh_Latn"]}
    base_source = "org/base-[x](https://evil.example/b)"
    for lineage, source, skill in (
        (Lineage(HTML), base_source, 0.4),
        (Lineage(MARKDOWN, step=10, parent=base_source, recipe=recipe), "/ckpt/checkpoint-10", 0.6),
    ):
        run_id = store.start_run(factory, lineage, source, "local", _fingerprint("float32"))
        for task in XNLI[:3]:
            _store(factory, run_id, _choice(task, skill, rng))
        store.finish_run(factory, run_id, "complete")
    at = page("views/adaptation.py", model=MARKDOWN)
    text = shown_text(at)
    assert md_escape(MARKDOWN) in text and md_escape(HTML) in text
    for element in [*at.markdown, *at.caption, *at.info, *at.warning]:
        assert MARKDOWN not in element.value and HTML not in element.value, element.value
    assert len(at.get("vega_lite_chart")) >= 1  # the heatmap at least
