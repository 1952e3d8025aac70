"""Hostile stored strings: names and texts that are markup in some medium (Rich markup, terminal
escape sequences, Markdown links and images, HTML), stored through `db.store` as any run is.
Every place that shows a stored string must show these as written and let none of them act.
"""

import random
from dataclasses import dataclass, field

from core.lineage import Lineage
from core.records import MetricResult, SampleRecord, TaskOutcome
from db import store
from db.session import make_engine, make_session_factory
from tests.app.seed import FLORES, XNLI, _choice, _fingerprint, _flores, _store

RICH = "bad[/]name[bold red]X"
"""Rich markup: an unmatched closing tag (MarkupError when parsed) and a style tag."""
TERMINAL = "esc\x1b]0;PWNED\x07\x1b[2J\x9b31mname"
"""An OSC window-title sequence ended by BEL, clear-screen, and a C1 CSI."""
EVIL_HOST = "evil.example"
TRACKER = "127.0.0.1:9"
MARKDOWN = f"[phish](https://{EVIL_HOST}/login) ![trk](http://{TRACKER}/track.png)"
"""A Markdown link and a Markdown image (fetched by every viewer's browser when rendered)."""
HTML = f'<a href="https://{EVIL_HOST}/html">html</a><img src="http://{TRACKER}/html.png"><script>x</script>'
BARE = f"https://{EVIL_HOST}/bare www.{EVIL_HOST} :red[colour] $x^2$ *em* _u_ `code`"
"""Bare URLs (GitHub-flavoured Markdown links them), Streamlit's colour directive, LaTeX, emphasis."""

NAMES = {"rich": RICH, "terminal": TERMINAL, "markdown": MARKDOWN, "html": HTML, "bare": BARE}
"""Model names by kind."""
CHECKPOINTED = MARKDOWN
"""The model with checkpoints (steps 100 and 200 after its base)."""
BASE_SOURCE = f"org/[base](https://{EVIL_HOST}/base)"
SIGNATURE = f"sig[/]|[s](https://{EVIL_HOST}/sig)|\x1b[31m"
NOTE = f"note[bold]![n](http://{TRACKER}/note.png)\x07"
OUTPUT = f"![o](http://{TRACKER}/output.png)\x1b[2J[/]"


@dataclass
class HostileSeed:
    url: str
    runs: dict[str, str] = field(default_factory=dict)
    """Kind of name (`markdown@100` for a checkpoint) -> run id."""


def _hostile(outcome: TaskOutcome) -> TaskOutcome:
    """The outcome with hostile signatures, a hostile note and hostile outputs."""
    metrics = [
        MetricResult(m.task, m.metric, m.value, m.stderr, m.n, SIGNATURE, NOTE if i == 1 else "")
        for i, m in enumerate(outcome.metrics)
    ]
    samples = [
        SampleRecord(s.doc_id, s.doc_hash, s.prompt + RICH, s.target, OUTPUT + s.output, s.scores)
        for s in outcome.samples
    ]
    return TaskOutcome(outcome.task, outcome.version, outcome.task_hash, metrics, samples)


def seed_hostile(url: str) -> HostileSeed:
    """One complete run per hostile model name over two FLORES directions and two XNLI languages;
    the Markdown-named model also has checkpoints at steps 100 and 200 (hostile folder names)."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    rng = random.Random(3)
    seeded = HostileSeed(url)

    def run(key: str, lineage: Lineage, source: str, skill: float) -> None:
        run_id = store.start_run(factory, lineage, source, "local", _fingerprint("float32"))
        for task in FLORES[:2]:
            _store(factory, run_id, _hostile(_flores(task, skill, rng)))
        for task in XNLI[:2]:
            _store(factory, run_id, _hostile(_choice(task, skill / 100, rng)))
        store.finish_run(factory, run_id, "complete")
        seeded.runs[key] = run_id

    for i, (kind, name) in enumerate(NAMES.items()):
        source = BASE_SOURCE if name == CHECKPOINTED else f"org/{kind}-{name}"
        run(kind, Lineage(name), source, 30.0 + 5 * i)
    for step in (100, 200):
        lineage = Lineage(CHECKPOINTED, step=step, tokens_seen=step * 1000, parent=BASE_SOURCE)
        folder = f"/ckpt/[c](https://{EVIL_HOST}/c)/checkpoint-{step}"
        run(f"markdown@{step}", lineage, folder, 40.0 + step / 10)
    engine.dispose()
    return seeded
