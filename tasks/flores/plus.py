"""FLORES+ translation tasks: `flores+_<src>-<tgt>` in FLORES+ codes (`flores+_eng_Latn-cmn_Hans`).

The same prompt, decoding and metrics as FLORES-200 (`tasks.flores.task`), on the FLORES+ data
(`harness data fetch flores_plus`, converted to FLORES-200's layout `dev/<code>.dev`). Its languages
are those with both splits in the data (a few FLORES+ languages have `dev` only). Groups as
FLORES-200's: `flores+`, `flores+_<iso>`, `flores+_<iso>@<pivot-iso>`. Every metric signature
carries the data version (`|data:flores_plus@<revision>`), and results are stored under the family
`flores+`, so FLORES-200 and FLORES+ scores never mix; the stored languages are FLORES-200 codes
(`tasks.flores.codes`), so both meet in language views.
"""

from functools import lru_cache
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from core.records import TaskMeta, TaskOutcome
from tasks.base import GroupRule, OverWindow, TaskInfo, TaskOptions
from tasks.flores import names
from tasks.flores.codes import flores200_code, language_name
from tasks.flores.names import FloresGroups
from tasks.flores.source import PLUS_SOURCES
from tasks.flores.task import (
    MAX_GEN_TOKS,
    PROMPT_VERSION,
    collect,
    direction_config,
    prompt_template,
    task_hash,
)

PREFIX = "flores+"
DATA_SET = "flores_plus"
REVISION_FILE = "REVISION"
"""Written by `harness data fetch flores_plus` beside the data: the hub revision it fetched."""

PROTOCOL = (
    f"FLORES+ devtest, zero-shot `flores-prompt-v1`, greedy, stop at a newline, max {MAX_GEN_TOKS} new "
    "tokens; chrF++ (sacrebleu word_order=2), spBLEU with the pinned flores200 SentencePiece model"
)


def codes(root: Path) -> frozenset[str]:
    """The FLORES+ codes with both a dev and a devtest file under `root`."""
    return _codes(str(root))


@lru_cache(maxsize=8)
def _codes(root: str) -> frozenset[str]:
    folder = Path(root)
    dev = {p.name.removesuffix(".dev") for p in (folder / "dev").glob("*.dev")}
    return frozenset(p.name.removesuffix(".devtest") for p in (folder / "devtest").glob("*.devtest")) & dev


def data_version(root: Path) -> str:
    """`flores_plus@<revision>` from the data's REVISION file; `flores_plus@unrecorded` without one
    (a copy not made by `harness data fetch`: the task hash still pins its content)."""
    marker = root / REVISION_FILE
    revision = marker.read_text(encoding="utf-8").strip() if marker.is_file() else ""
    return f"{DATA_SET}@{revision or 'unrecorded'}"


class FloresPlus:
    """The FLORES+ family (see the module docstring)."""

    name = PREFIX
    data_set = DATA_SET
    sources = PLUS_SOURCES
    discovered = True
    splits: tuple[str, ...] = ()
    over_window: OverWindow = "cut"
    counts_cut_off = True
    """Generative MT: the runner counts outputs that stopped at the token budget (`cut_off`)."""

    def groups(self, root: Path | None) -> dict[str, list[str]]:
        if root is None:
            return {}
        known = codes(root)
        return FloresGroups(
            names.english_groups(PREFIX, sorted(known)), lambda name: names.pivot_group(PREFIX, name, known)
        )

    def owns(self, name: str, root: Path | None) -> bool:
        if root is None:
            return False
        if problem := names.pivot_problem(PREFIX, name, codes(root), f"the FLORES+ data at {root}"):
            raise HarnessError(f"--tasks: {problem}")
        return names.parse_direction(PREFIX, name, codes(root)) is not None

    def group_rule(self, group: str) -> GroupRule:
        return "macro"

    def _parse(self, name: str) -> tuple[str, str]:
        src, _, tgt = name.removeprefix(PREFIX + "_").partition("-")
        if not src or not tgt:
            raise HarnessError(f"not a FLORES+ direction: {name!r}")
        return src, tgt

    def meta(self, name: str) -> TaskMeta:
        """The target's FLORES-200 code as the language, the source's as the second language."""
        src, tgt = self._parse(name)
        return TaskMeta(
            self.name, flores200_code(tgt), "chrf++", "chrf++", PROTOCOL, source_language=flores200_code(src)
        )

    def translation_languages(self, name: str) -> tuple[str, str]:
        """(source, target) as FLORES-200 codes: the language identifier's labels."""
        src, tgt = self._parse(name)
        return flores200_code(src), flores200_code(tgt)

    def task_info(self, name: str, root: Path, options: TaskOptions) -> TaskInfo:
        src, tgt = self._parse(name)
        digest, files = task_hash(src, tgt, root, language_name)
        version = f"{PROMPT_VERSION}+{data_version(root)}"
        return TaskInfo(name, self.name, version, digest, files, prompt_template(src, tgt, language_name))

    def lm_eval_config(self, name: str, root: Path, options: TaskOptions) -> dict[str, Any]:
        src, tgt = self._parse(name)
        return direction_config(name, src, tgt, root, options.with_spbleu, flores200_code(tgt), language_name)

    def collect(self, name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
        _, tgt = self._parse(name)
        version = info.version.partition("+")[2]
        return collect(name, output, info, flores200_code(tgt), version)
