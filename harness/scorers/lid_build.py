"""`harness lid build`: train a fastText language identifier on FLORES-200 dev (one label per
FLORES-200 code) and measure it on FLORES-200 devtest (accuracy, per-language F1, macro-F1, the
worst languages, the pairs and clusters it confuses).

The model is cached under `<HARNESS_CACHE>/lid/<key>/model.bin` with `report.json` beside it, the
key a SHA-256 over the training files' SHA-256 and the hyperparameters; a build of every FLORES-200
language also becomes the default identifier of `harness eval` (`default.json`).
"""

import json
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.errors import HarnessError
from harness.scorers.lid import default_model, lid_cache

__all__ = ["build", "default_model", "lid_cache"]

HYPERPARAMETERS: dict[str, Any] = {
    "model": "supervised",
    "loss": "softmax",
    "dim": 64,
    "minn": 2,
    "maxn": 5,
    "wordNgrams": 1,
    "minCount": 2,
    "bucket": 500_000,
    "epoch": 5,
    "lr": 0.5,
    "shuffle_seed": 0,
}
"""Character 2-5-grams as fastText LID models use them (GlotLID, OpenLID: minn 2, maxn 5); the lines
are shuffled before training because fastText reads its file in order (sorted by language, the
last languages read would win)."""
THREADS = 2
CLUSTER_SHARE = 0.05
"""Two languages join a confusion cluster when at least this share of one's devtest sentences is
labelled as the other."""
WORST = 10


def dev_file(root: Path, lang: str, split: str = "dev") -> Path:
    return root / split / f"{lang}.{split}"


def languages_in(root: Path, langs: Sequence[str] | None) -> list[str]:
    """The FLORES-200 languages to train on: `langs`, else every one with a dev file under `root`."""
    from core.languages import FLORES_LANGUAGES

    if langs:
        unknown = [x for x in langs if x not in FLORES_LANGUAGES]
        if unknown:
            raise HarnessError(f"--langs: {', '.join(unknown)} not FLORES-200 codes (such as lin_Latn)")
        chosen = list(dict.fromkeys(langs))
    else:
        chosen = [x for x in FLORES_LANGUAGES if dev_file(root, x).is_file()]
    missing = [
        dev_file(root, x, s) for x in chosen for s in ("dev", "devtest") if not dev_file(root, x, s).is_file()
    ]
    if missing:
        raise HarnessError(f"FLORES-200 file missing: {missing[0]} (give --data-dir with flores200/ inside)")
    if len(chosen) < 2:
        raise HarnessError(f"{root}: a language identifier needs at least two languages' dev files")
    return chosen


def cache_key(root: Path, langs: Sequence[str], params: dict[str, Any]) -> str:
    from core.hashing import content_hash, sha256_file

    files = {f"dev/{x}.dev": sha256_file(dev_file(root, x)) for x in langs}
    return content_hash({"data": files, "hyperparameters": params, "format": "lid-v1"})


def _training_file(root: Path, langs: Sequence[str], seed: int, out: Path) -> int:
    from tasks.flores.task import read_lines

    rows = [
        f"__label__{x} {' '.join(line.split())}\n" for x in langs for line in read_lines(dev_file(root, x))
    ]
    random.Random(seed).shuffle(rows)
    out.write_text("".join(rows), encoding="utf-8")
    return len(rows)


def train(root: Path, langs: Sequence[str], params: dict[str, Any], out: Path) -> int:
    """Train on the dev files of `langs` and save the model to `out`; the number of training lines."""
    from harness.scorers.lid import import_fasttext

    fasttext = import_fasttext()
    settings = {k: v for k, v in params.items() if k not in ("model", "shuffle_seed")}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "train.txt"
        lines = _training_file(root, langs, int(params["shuffle_seed"]), data)
        model = fasttext.train_supervised(str(data), thread=THREADS, verbose=0, **settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save_model(str(out))
    return lines


@dataclass
class LidReport:
    """What `harness lid build` prints and stores as `report.json` beside the model."""

    model: str
    sha256: str
    languages: int
    train_lines: int
    train_seconds: float
    hyperparameters: dict[str, Any]
    accuracy: float
    macro_f1: float
    devtest_lines: int
    f1: dict[str, float]
    worst: list[dict[str, Any]]
    confused_pairs: list[dict[str, Any]]
    clusters: list[list[str]]
    cached: bool = False
    default: bool = False
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def f1_scores(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    """Per-label F1 (0 when a label is never right)."""
    true_pos = Counter(g for g, p in zip(gold, predicted, strict=True) if g == p)
    gold_n, pred_n = Counter(gold), Counter(predicted)
    out = {}
    for x in labels:
        tp = true_pos[x]
        out[x] = 2 * tp / (gold_n[x] + pred_n[x]) if gold_n[x] + pred_n[x] else 0.0
    return out


def clusters_of(confusions: Counter[tuple[str, str]], sizes: Counter[str], share: float) -> list[list[str]]:
    """Connected groups of languages linked by confusions of at least `share` of a language's lines."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for (gold, pred), count in confusions.items():
        if count >= share * sizes[gold]:
            parent[find(gold)] = find(pred)
    groups: dict[str, list[str]] = {}
    for x in parent:
        groups.setdefault(find(x), []).append(x)
    return sorted((sorted(g) for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g))


def measure(model_path: Path, root: Path, langs: Sequence[str]) -> dict[str, Any]:
    """Accuracy, F1 per language, macro-F1, worst languages, confused pairs and clusters on devtest."""
    from harness.scorers.lid import LidModel
    from tasks.flores.task import read_lines

    lid = LidModel(model_path)
    gold: list[str] = []
    texts: list[str] = []
    for x in langs:
        lines = read_lines(dev_file(root, x, "devtest"))
        gold += [x] * len(lines)
        texts += lines
    predicted = [p.label for p in lid.predict(texts)]
    f1 = f1_scores(gold, predicted, langs)
    confusions = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    sizes = Counter(gold)
    worst = sorted(langs, key=lambda x: (f1[x], x))[:WORST]
    return {
        "sha256": lid.sha256,
        "accuracy": sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold),
        "macro_f1": sum(f1.values()) / len(f1),
        "devtest_lines": len(gold),
        "f1": f1,
        "worst": [
            {
                "lang": x,
                "f1": f1[x],
                "confused_with": [p for (g, p), _ in confusions.most_common() if g == x][:3],
            }
            for x in worst
        ],
        "confused_pairs": [
            {"gold": g, "predicted": p, "count": c, "share": c / sizes[g]}
            for (g, p), c in confusions.most_common(20)
        ],
        "clusters": clusters_of(confusions, sizes, CLUSTER_SHARE),
    }


def build(
    root: Path,
    out: Path | None = None,
    langs: Sequence[str] | None = None,
    params: dict[str, Any] | None = None,
) -> LidReport:
    """Train (or take from the cache) the identifier of `langs` (default: every FLORES-200 language
    under `root`), measure it on devtest, and copy model and report to `out` when given."""
    from core.languages import FLORES_LANGUAGES

    settings = dict(params or HYPERPARAMETERS)
    chosen = languages_in(root, langs)
    folder = lid_cache() / cache_key(root, chosen, settings)[:16]
    model_path, report_path = folder / "model.bin", folder / "report.json"
    if model_path.is_file() and report_path.is_file():
        report = LidReport(**json.loads(report_path.read_text(encoding="utf-8")))
        report.cached = True
    else:
        started = time.monotonic()
        lines = train(root, chosen, settings, model_path)
        seconds = time.monotonic() - started
        measured = measure(model_path, root, chosen)
        report = LidReport(
            model=str(model_path),
            languages=len(chosen),
            train_lines=lines,
            train_seconds=round(seconds, 1),
            hyperparameters=settings,
            **measured,
        )
        report_path.write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
    if set(chosen) == set(FLORES_LANGUAGES):
        (lid_cache() / "default.json").write_text(
            json.dumps({"model": str(model_path), "sha256": report.sha256}), encoding="utf-8"
        )
        report.default = True
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(model_path, out)
        out.with_suffix(".json").write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
        report.notes.append(f"copied to {out} (report {out.with_suffix('.json')})")
    return report


def print_report(report: LidReport) -> None:
    """The report as a terminal summary: headline numbers, worst languages, confused pairs, clusters."""
    from harness.output import console, plain

    out = console()
    origin = "cached" if report.cached else f"trained in {report.train_seconds:.0f} s"
    out.print(plain(f"model {report.model} ({origin}; sha256 {report.sha256[:12]})"), soft_wrap=True)
    out.print(
        f"{report.languages} languages, {report.train_lines} dev lines; devtest ({report.devtest_lines} "
        f"lines): accuracy {report.accuracy:.4f}, macro-F1 {report.macro_f1:.4f}"
    )
    out.print("worst languages (F1, most often labelled as):")
    for w in report.worst:
        out.print(plain(f"  {w['lang']:10} {w['f1']:.3f}  {', '.join(w['confused_with'])}"))
    out.print("most confused pairs (gold -> predicted, share of gold's lines):")
    for p in report.confused_pairs[:10]:
        out.print(plain(f"  {p['gold']} -> {p['predicted']}: {p['count']} ({p['share']:.1%})"))
    out.print(f"confusion clusters (>= {CLUSTER_SHARE:.0%} of a language's lines):")
    for cluster in report.clusters:
        out.print(plain("  " + " ".join(cluster)))
    if report.default:
        out.print("default identifier of `harness eval` (no --lid-model needed)")
    for note in report.notes:
        out.print(plain(note), soft_wrap=True)
