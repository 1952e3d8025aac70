"""XNLI and AfriXNLI natural language inference, scored by loglikelihood like lm-eval.

- `xnli_<lang>` for the 15 XNLI languages and `ko` (KorNLI): lm-eval's `xnli_<lang>` prompt,
  the whole sentence pair as each choice (`premise, right? Yes, hypothesis`); accuracy. The
  split is `test` by default (`--split validation` for lm-eval's own choice).
- `afrixnli_<lang>` for every language folder present under `afrixnli/`: lm-eval's AfriXNLI
  `direct/prompt_1` instruction with the labels `entailment`, `neutral`, `contradiction`;
  accuracy and F1 as lm-eval's `afrixnli_yaml` lists them: scikit-learn's `f1_score(average=
  "weighted")` over the (gold, prediction) pairs (`lm_eval.utils.weighted_f1_score`), each label's
  F1 weighted by its number of gold documents.
"""

from functools import partial
from pathlib import Path
from typing import Any, Literal

from core.errors import HarnessError
from core.hashing import content_hash
from core.records import TaskMeta, TaskOutcome
from tasks.base import GroupRule, TaskInfo, TaskOptions
from tasks.choice import ACC_METRIC, F1_METRICS, collect_choice, read_jsonl
from tasks.xnli.source import AFRIXNLI, XNLI

SPLITS = ("validation", "test")
LABELS = (0, 1, 2)  # entailment, neutral, contradiction
XNLI_VERSION = "xnli-prompt-v1"
AFRIXNLI_VERSION = "afrixnli-prompt-v1"

# (question word, entailment, neutral, contradiction): lm-eval's table; `ko` is ours.
XNLI_WORDS: dict[str, tuple[str, str, str, str]] = {
    "ar": ("صحيح", "نعم", "لذا", "رقم"),
    "bg": ("правилно", "да", "така", "не"),
    "de": ("richtig", "Ja", "Auch", "Nein"),
    "el": ("σωστός", "Ναί", "Έτσι", "όχι"),
    "en": ("right", "Yes", "Also", "No"),
    "es": ("correcto", "Sí", "Asi que", "No"),
    "fr": ("correct", "Oui", "Aussi", "Non"),
    "hi": ("सही", "हाँ", "इसलिए", "नहीं"),
    "ru": ("правильно", "Да", "Так", "Нет"),
    "sw": ("sahihi", "Ndiyo", "Hivyo", "Hapana"),
    "th": ("ถูกต้อง", "ใช่", "ดังนั้น", "ไม่"),
    "tr": ("doğru", "Evet", "Böylece", "Hayır"),
    "ur": ("صحیح", "جی ہاں", "اس لئے", "نہیں"),
    "vi": ("đúng", "Vâng", "Vì vậy", "Không"),
    "zh": ("正确", "是的", "所以", "不是的"),
    "ko": ("맞지", "예", "또한", "아니요"),
}

AFRIXNLI_PROMPT = (
    "Please identify whether the premise entails or contradicts the hypothesis in the following premise "
    "and hypothesis. The answer should be exact entailment, contradiction, or neutral.\n\n"
    "Premise: {{premise}}\nHypothesis: {{hypothesis}}\n\nIs it entailment, contradiction, or neutral?"
)
AFRIXNLI_CHOICES = ["entailment", "neutral", "contradiction"]


ACC = ACC_METRIC
WEIGHTED_F1 = F1_METRICS["weighted"]


def check_row(row: dict[str, Any]) -> str | None:
    for field in ("premise", "hypothesis"):
        if not isinstance(row.get(field), str) or not row[field].strip():
            return f"field {field!r} missing or empty"
    if row.get("label") not in LABELS:
        return f"unknown label {row.get('label')!r} (expected 0 entailment, 1 neutral, 2 contradiction)"
    return None


def split_file(root: Path, lang: str, split: str) -> Path:
    return root / lang / f"{split}.jsonl"


def load_nli(data_root: str, lang: str, **_: Any) -> Any:
    """lm-eval `custom_dataset`: the checked rows of one language, both splits."""
    import datasets

    splits = {}
    for split in SPLITS:
        rows = read_jsonl(split_file(Path(data_root), lang, split), check_row)
        fields = [{"premise": r["premise"], "hypothesis": r["hypothesis"], "label": r["label"]} for r in rows]
        splits[split] = datasets.Dataset.from_list(fields)
    return datasets.DatasetDict(splits)


def xnli_choice_template(lang: str) -> str:
    question, yes, also, no = XNLI_WORDS[lang]
    return (
        f'{{{{[premise+", {question}? {yes}, "+hypothesis,premise+", {question}? {also}, "+hypothesis,'
        f'premise+", {question}? {no}, "+hypothesis]}}}}'
    )


ISO_639_1 = {
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
"""XNLI's language suffixes."""

ISO_639_3 = {
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
"""AfriXNLI's language folders."""


class _Nli:
    name: str
    data_set: str
    discovered: bool
    splits: tuple[str, ...] = SPLITS
    version: str
    codes: dict[str, str]
    """The data's language names -> FLORES-200 codes."""
    protocol: str
    f1: Literal["weighted"] | None = None
    """lm-eval's F1 average for the family's tasks; None: no F1."""

    def languages(self, root: Path | None) -> list[str]:
        raise NotImplementedError

    def groups(self, root: Path | None) -> dict[str, list[str]]:
        return {self.name: [f"{self.name}_{lang}" for lang in self.languages(root)]}

    def owns(self, name: str, root: Path | None) -> bool:
        return name.removeprefix(self.name + "_") in self.languages(root)

    def group_rule(self, group: str) -> GroupRule:
        # lm-eval's _xnli.yaml and afrixnli.yaml: acc with weight_by_size (languages are equal in size)
        return "size_weighted"

    def meta(self, name: str) -> TaskMeta:
        lang = self.lang(name)
        return TaskMeta(self.name, self.codes.get(lang, lang), "acc", "acc", self.protocol)

    def split(self, options: TaskOptions) -> str:
        split = options.split or "test"
        if split not in SPLITS:
            raise HarnessError(f"--split: {self.name} has {' and '.join(SPLITS)}, not {split!r}")
        return split

    def lang(self, name: str) -> str:
        return name.removeprefix(self.name + "_")

    def prompt(self, lang: str) -> dict[str, Any]:
        raise NotImplementedError

    def task_info(self, name: str, root: Path, options: TaskOptions) -> TaskInfo:
        from core.hashing import sha256_file

        lang, split = self.lang(name), self.split(options)
        files = {}
        for part in SPLITS:  # the scored split and the few-shot source
            path = split_file(root, lang, part)
            if not path.is_file():
                raise HarnessError(f"data file missing: {path}")
            files[f"{lang}/{part}.jsonl"] = sha256_file(path)
        prompt = self.prompt(lang)
        digest = content_hash({"version": self.version, "prompt": prompt, "split": split, "data": files})
        return TaskInfo(name, self.name, self.version, digest, files, str(prompt))

    def lm_eval_config(self, name: str, root: Path, options: TaskOptions) -> dict[str, Any]:
        lang, split = self.lang(name), self.split(options)
        return {
            "task": name,
            "custom_dataset": partial(load_nli, str(root), lang),
            "test_split": split,
            "fewshot_split": "validation",
            "output_type": "multiple_choice",
            "doc_to_target": "label",
            **self.prompt(lang),
            "metric_list": [dict(ACC), *([dict(WEIGHTED_F1)] if self.f1 == "weighted" else [])],
            "metadata": {"version": 1.0},
        }

    def collect(self, name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome:
        return collect_choice(name, output, info, f1=self.f1)


class Xnli(_Nli):
    name = "xnli"
    data_set = "xnli"
    sources = (XNLI,)
    discovered = False
    version = XNLI_VERSION
    codes = ISO_639_1
    protocol = "lm-eval xnli: 0-shot, the three labels ranked by loglikelihood as a cloze over the premise"

    def languages(self, root: Path | None) -> list[str]:
        return list(XNLI_WORDS)

    def groups(self, root: Path | None) -> dict[str, list[str]]:
        # The `xnli` group is XNLI's 15 languages, as lm-eval's group and the paper; KorNLI's Korean
        # (`xnli_ko`, a later translation of the same rows) is only in `xnli_all`.
        every = [f"{self.name}_{lang}" for lang in self.languages(root)]
        return {self.name: [t for t in every if t != f"{self.name}_ko"], f"{self.name}_all": every}

    def owns(self, name: str, root: Path | None) -> bool:
        return name.removeprefix(self.name + "_") in self.languages(root)

    def prompt(self, lang: str) -> dict[str, Any]:
        return {"doc_to_text": "", "doc_to_choice": xnli_choice_template(lang)}


class AfriXnli(_Nli):
    name = "afrixnli"
    data_set = "afrixnli"
    sources = (AFRIXNLI,)
    discovered = True
    version = AFRIXNLI_VERSION
    codes = ISO_639_3
    f1 = "weighted"
    protocol = "lm-eval afrixnli (IrokoBench) native-language prompt, 0-shot, loglikelihood over the labels"

    def languages(self, root: Path | None) -> list[str]:
        if root is None:
            return []
        return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.jsonl")))

    def prompt(self, lang: str) -> dict[str, Any]:
        return {"doc_to_text": AFRIXNLI_PROMPT, "doc_to_choice": AFRIXNLI_CHOICES}
