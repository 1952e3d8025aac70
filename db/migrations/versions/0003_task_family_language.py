"""Task family and language on each task result (for the app's grouping), filled in from the
task names of the rows already stored; indexes for the app's queries.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("task_results") as batch:
        batch.add_column(sa.Column("family", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("language", sa.String(length=32), nullable=True))
    results = sa.table(
        "task_results",
        sa.column("task", sa.String),
        sa.column("family", sa.String),
        sa.column("language", sa.String),
    )
    conn = op.get_bind()
    for task in conn.execute(sa.select(results.c.task).distinct()).scalars().all():
        family, language = _task_meta(task)
        conn.execute(
            sa.update(results).where(results.c.task == task).values(family=family, language=language)
        )


def downgrade() -> None:
    with op.batch_alter_table("task_results") as batch:
        batch.drop_column("language")
        batch.drop_column("family")


# The rule as it stood at this revision, frozen here: a migration replays history and must not
# follow the live families (which now declare each task's language themselves).
_FAMILIES = ("flores", "afrixnli", "xnli", "kobest", "ceval", "agieval", "gaokao", "ifmt_terms", "ifmt")
_ISO_639_1 = {
    "ar": "arb_Arab",
    "bg": "bul_Cyrl",
    "de": "deu_Latn",
    "el": "ell_Grek",
    "en": "eng_Latn",
    "es": "spa_Latn",
    "fr": "fra_Latn",
    "hi": "hin_Deva",
    "ko": "kor_Hang",
    "ru": "rus_Cyrl",
    "sw": "swh_Latn",
    "th": "tha_Thai",
    "tr": "tur_Latn",
    "ur": "urd_Arab",
    "vi": "vie_Latn",
    "zh": "zho_Hans",
}
_ISO_639_3 = {
    "amh": "amh_Ethi",
    "eng": "eng_Latn",
    "ewe": "ewe_Latn",
    "fra": "fra_Latn",
    "hau": "hau_Latn",
    "ibo": "ibo_Latn",
    "kin": "kin_Latn",
    "lin": "lin_Latn",
    "lug": "lug_Latn",
    "orm": "gaz_Latn",
    "sna": "sna_Latn",
    "sot": "sot_Latn",
    "swa": "swh_Latn",
    "twi": "twi_Latn",
    "wol": "wol_Latn",
    "xho": "xho_Latn",
    "yor": "yor_Latn",
    "zul": "zul_Latn",
}


def _task_family(task: str) -> str:
    for family in _FAMILIES:
        if task.startswith(family + "_") or task == family:
            return family
    return task.split("_", 1)[0]


def _task_language(task: str) -> str | None:
    """The language a task evaluates: FLORES's non-English side, XNLI's and AfriXNLI's suffix,
    Korean for KoBEST, Chinese for C-Eval, AGIEval Gaokao, GAOKAO-Bench (English for its English
    sections) and IF-MT, German for the terminology tasks; None when unknown."""
    family = _task_family(task)
    rest = task[len(family) + 1 :]
    if family == "flores":
        src, _, tgt = rest.partition("-")
        if not tgt:
            return None
        return tgt if src == "eng_Latn" else src
    if family == "xnli":
        return _ISO_639_1.get(rest, rest or None)
    if family == "afrixnli":
        return _ISO_639_3.get(rest, rest or None)
    if family == "kobest":
        return "kor_Hang"
    if family == "agieval" and rest == "gaokao_english":  # English questions of the Chinese exam
        return "eng_Latn"
    if family == "ceval" or (family == "agieval" and rest.startswith("gaokao")):
        return "zho_Hans"
    if family == "gaokao":  # GAOKAO-Bench: Chinese exams, whose English sections are in English
        return "eng_Latn" if "_english_" in task else "zho_Hans"
    if family == "ifmt":
        return "zho_Hans"
    if family == "ifmt_terms":
        return "deu_Latn"
    return None


def _task_meta(task: str) -> tuple[str, str | None]:
    """(family, language) stored with each task result."""
    return _task_family(task), _task_language(task)
