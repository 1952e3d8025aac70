"""Where evaluation data lives: resolution order, checksums, and `harness data fetch`.

Order: `--data-dir` / `HARNESS_DATA_DIR` (a folder holding `flores200/` etc.), else the user
cache filled by `harness data fetch NAME`. Missing data is an error naming the path and the
fetch command, never a fallback to a sample. The bundled sample is used only when asked for.
"""

import os
import shutil
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from core.errors import HarnessError
from core.hashing import sha256_file
from core.paths import cache_dir
from tasks.agieval.task import SUBJECTS as AGIEVAL_SUBJECTS
from tasks.kobest.task import FIELDS as KOBEST_FIELDS
from tasks.kobest.task import SPLITS as KOBEST_SPLITS


@dataclass(frozen=True)
class DatasetSource:
    """An official distribution we can download and unpack."""

    name: str
    url: str
    sha256: str
    archive_root: str
    """The folder inside the archive that becomes `<data root>/<name>`."""
    required: tuple[str, ...]
    """Paths that must exist inside it for the data set to count as present."""
    hf_dataset: str | None = None
    """Hugging Face dataset id, for data sets fetched from the hub (one config per language)."""
    hf_configs: tuple[str, ...] = ()
    hf_splits: tuple[str, ...] = ("validation", "test")
    """Splits exported per config, as `<config>/<split>.jsonl`."""
    manual: str = ""
    """For data sets with neither a pinned archive nor a hub id: how to get the official files."""


SOURCES: dict[str, DatasetSource] = {
    "flores200": DatasetSource(
        name="flores200",
        url="https://dl.fbaipublicfiles.com/nllb/flores200_dataset.tar.gz",
        sha256="b8b0b76783024b85797e5cc75064eb83fc5288b41e9654dabc7be6ae944011f6",
        archive_root="flores200_dataset",
        required=("dev/eng_Latn.dev", "devtest/eng_Latn.devtest"),
    ),
    "xnli": DatasetSource(
        name="xnli",
        url="",
        sha256="",
        archive_root="",
        required=("en/test.jsonl", "en/validation.jsonl"),
        hf_dataset="facebook/xnli",
        hf_configs=("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh"),
    ),
    "afrixnli": DatasetSource(
        name="afrixnli",
        url="",
        sha256="",
        archive_root="",
        required=(),
        hf_dataset="masakhane/afrixnli",
        hf_configs=(
            "amh",
            "eng",
            "ewe",
            "fra",
            "hau",
            "ibo",
            "kin",
            "lin",
            "lug",
            "orm",
            "sna",
            "sot",
            "swa",
            "twi",
            "wol",
            "xho",
            "yor",
            "zul",
        ),
    ),
    "kobest": DatasetSource(
        name="kobest",
        url="",
        sha256="",
        archive_root="",
        required=tuple(f"{task}/{split}.jsonl" for task in KOBEST_FIELDS for split in KOBEST_SPLITS),
        hf_dataset="skt/kobest_v1",
        hf_configs=tuple(KOBEST_FIELDS),
        hf_splits=KOBEST_SPLITS,
    ),
    "ceval": DatasetSource(
        name="ceval",
        url="",
        sha256="",
        archive_root="",
        required=("subject_mapping.json",),
        manual=(
            "unzip the official ceval-exam.zip (https://huggingface.co/datasets/ceval/ceval-exam) into "
            "ceval/ so that it holds val/<subject>_val.csv and dev/<subject>_dev.csv, add "
            "subject_mapping.json from https://github.com/hkust-nlp/ceval, and pass --data-dir"
        ),
    ),
    "agieval": DatasetSource(
        name="agieval",
        url="",
        sha256="",
        archive_root="",
        required=tuple(f"v1/gaokao-{subject}.jsonl" for subject in AGIEVAL_SUBJECTS),
        manual=(
            "copy the data/v1 folder of the official AGIEval repository "
            "(https://github.com/ruixiangcui/AGIEval, e.g. `git clone` it) to agieval/v1/ so that it "
            "holds gaokao-english.jsonl and the other gaokao-*.jsonl files, and pass --data-dir"
        ),
    ),
    "gaokao_bench": DatasetSource(
        name="gaokao_bench",
        url="",
        sha256="",
        archive_root="",
        required=("Obj_Prompt.json",),
        manual=(
            "copy the Data/Objective_Questions folder and Bench/Obj_Prompt.json of the official "
            "GAOKAO-Bench repository (https://github.com/OpenLMLab/GAOKAO-Bench) to gaokao_bench/ so that "
            "it holds Objective_Questions/2010-2022_Biology_MCQs.json etc. and Obj_Prompt.json; for the "
            "yearly updates (optional), copy the Data/*.json files of https://github.com/OpenLMLab/"
            "GAOKAO-Bench-2023 to gaokao_bench_updates/GAOKAO-Bench-2023/ and its Bench/2023_Obj_Prompt.json "
            "to gaokao_bench_updates/, beside gaokao_bench/; and pass --data-dir"
        ),
    ),
    "ifmt": DatasetSource(
        name="ifmt",
        url="",
        sha256="",
        archive_root="",
        required=("default/train.jsonl",),
        hf_dataset="Unbabel/IF-MT-en-zh",
        hf_configs=("default",),
        hf_splits=("train",),
    ),
    "terminology_en_de": DatasetSource(
        name="terminology_en_de",
        url="",
        sha256="",
        archive_root="",
        required=(
            "terminology/iate.414.terminology.tsv",
            "terminology/wikt.727.terminology.tsv",
            "newstest2017_en-de/newstest2017.en",
            "newstest2017_en-de/newstest2017.de",
        ),
        manual=(
            "put the terminology files of Dinu et al. (2019) (https://github.com/mtresearcher/"
            "terminology_dataset: iate.414 and wikt.727 .terminology.tsv) in terminology_en_de/terminology/, "
            "and WMT17 newstest2017 en-de as plain text, one sentence per line "
            "(http://data.statmt.org/wmt17/translation-task/test.tgz, extracted as that repository's "
            "README shows) in terminology_en_de/newstest2017_en-de/newstest2017.{en,de}, and pass --data-dir"
        ),
    ),
}

BUNDLED_SAMPLE = Path(__file__).parent / "bundled" / "flores200-sample.tar.gz"


def fetched_root() -> Path:
    """Where `harness data fetch` unpacks data sets."""
    return cache_dir() / "data"


def resolve(name: str, data_dir: str | Path | None = None) -> Path:
    """The folder of data set `name`, or a HarnessError naming where it was expected and how to get it."""
    source = SOURCES[name]
    explicit = data_dir if data_dir is not None else os.environ.get("HARNESS_DATA_DIR")
    origin = "--data-dir" if data_dir is not None else "HARNESS_DATA_DIR"
    root = Path(explicit).expanduser() if explicit else fetched_root()
    folder = root / name
    missing = [str(folder / p) for p in source.required if not (folder / p).is_file()]
    if not source.required and not any(folder.glob("*/*.jsonl")):
        missing = [f"{folder}/<lang>/test.jsonl"]
    if missing:
        where = f"{origin}={explicit}" if explicit else "the harness cache"
        if source.manual:
            raise HarnessError(
                f"{name} data not found: expected {missing[0]} ({where}). To get it: {source.manual}."
            )
        raise HarnessError(
            f"{name} data not found: expected {missing[0]} ({where}). "
            f"Run `harness data fetch {name}` to download it into {fetched_root()}, "
            f"or pass --data-dir with a folder that contains {name}/ in the official layout."
        )
    return folder


def _download(url: str, target: Path) -> None:
    from tqdm import tqdm

    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (URL is configured, not user data)
        total = int(response.headers.get("Content-Length") or 0) or None
        with target.open("wb") as out, tqdm(total=total, unit="B", unit_scale=True, desc=target.name) as bar:
            for block in iter(lambda: response.read(1 << 16), b""):
                out.write(block)
                bar.update(len(block))


def fetch(
    name: str, url: str | None = None, sha256: str | None = None, dest_root: Path | None = None
) -> Path:
    """Download the official archive, verify its SHA-256, unpack it into `<dest_root>/<name>`.

    Nothing is moved into place unless the checksum matches and the layout is complete.
    """
    if name not in SOURCES:
        raise HarnessError(f"unknown data set {name!r}; known: {', '.join(sorted(SOURCES))}")
    source = SOURCES[name]
    dest_root = dest_root or fetched_root()
    dest_root.mkdir(parents=True, exist_ok=True)
    if source.hf_dataset:
        return _fetch_hf(source, dest_root)
    if source.manual:
        raise HarnessError(f"{name} has no pinned download: {source.manual}")
    with tempfile.TemporaryDirectory(dir=dest_root, prefix=f".{name}-") as tmp:
        archive = Path(tmp) / "archive.tar.gz"
        try:
            _download(url or source.url, archive)
        except OSError as exc:
            raise HarnessError(f"could not download {url or source.url}: {exc}") from exc
        found = sha256_file(archive)
        expected = sha256 or source.sha256
        if found != expected:
            raise HarnessError(f"{url or source.url}: SHA-256 {found} does not match the expected {expected}")
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(archive) as tar:
            tar.extractall(unpacked, filter="data")
        folder = unpacked / source.archive_root
        missing = [p for p in source.required if not (folder / p).is_file()]
        if missing:
            raise HarnessError(f"{url or source.url}: archive has no {source.archive_root}/{missing[0]}")
        target = dest_root / name
        if target.exists():
            shutil.rmtree(target)
        folder.rename(target)
    return target


def bundled_sample_root() -> Path:
    """Unpack the bundled FLORES-200 sample (a few sentences, for the README demo) and return its root."""
    target = cache_dir() / "bundled" / sha256_file(BUNDLED_SAMPLE)[:16]
    if not (target / "flores200").is_dir():
        cache_dir().mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache_dir()) as tmp:
            with tarfile.open(BUNDLED_SAMPLE) as tar:
                tar.extractall(tmp, filter="data")
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                Path(tmp).joinpath("sample").rename(target)
    return target


def _fetch_hf(source: DatasetSource, dest_root: Path) -> Path:
    """Export each language config of a hub dataset to `<lang>/<split>.jsonl` (our layout)."""
    import datasets

    assert source.hf_dataset is not None
    with tempfile.TemporaryDirectory(dir=dest_root, prefix=f".{source.name}-") as tmp:
        for config in source.hf_configs:
            try:
                splits = datasets.load_dataset(source.hf_dataset, config)
            except Exception as exc:  # the hub's errors vary: network, auth, missing config
                raise HarnessError(f"could not download {source.hf_dataset} ({config}): {exc}") from exc
            for split in source.hf_splits:
                if split in splits:
                    (Path(tmp) / config).mkdir(parents=True, exist_ok=True)
                    splits[split].to_json(Path(tmp) / config / f"{split}.jsonl", force_ascii=False)
        target = dest_root / source.name
        if target.exists():
            shutil.rmtree(target)
        Path(tmp).rename(target)
        Path(tmp).mkdir()  # TemporaryDirectory removes it on exit
    return target
