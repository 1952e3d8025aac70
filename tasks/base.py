"""What every task family provides to the registry and the runner."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from core.records import TaskMeta, TaskOutcome


@dataclass(frozen=True)
class TaskInfo:
    """What is stored with every result of a task."""

    name: str
    family: str
    version: str
    """Prompt/config version string; bumped when a change alters scores."""
    task_hash: str
    """SHA-256 over template, config and the checksums of the data files read."""
    data_files: dict[str, str]
    """Relative data path -> SHA-256."""
    prompt_template: str


GroupRule = Literal["macro", "size_weighted", "macro_and_size_weighted", "points_sum"]
"""How a group's score comes from its member tasks' scores (`harness.engine.groups`):
`macro`: the unweighted mean over tasks (C-Eval's average over subjects, FLORES's over directions);
`size_weighted`: the mean weighted by each task's number of documents, as lm-eval's groups with
`weight_by_size` (the unweighted mean is reported beside it as `<metric>_unweighted`);
`macro_and_size_weighted`: the macro mean as `<metric>` (C-Eval's paper average over subjects), and
lm-eval's size-weighted mean beside it as `<metric>_size_weighted` (its `ceval-valid` group);
`points_sum`: `points` and `points_available` summed and `points_rate` their ratio, as GAOKAO-Bench
totals a paper (other metrics macro)."""


OverWindow = Literal["cut", "refuse"]
"""What a generative task does when its generation budget and its longest prompt do not fit in the
model's context window together (checked before the model loads, `harness.engine.fit`):
`cut`: the budget is cut to what fits, recorded in each metric's signature and note (a translation
budget is only a cap: FLORES); `refuse`: the task is not run and the run ends `partial` naming it
(a shorter budget is another protocol: GAOKAO-Bench). A family declares it as `over_window`;
one that does not is refused (`over_window(family)`). Prompts that do not fit beside an uncut budget
lose their beginning, as lm-eval truncates them; the count is recorded in the note."""


def over_window(family: object) -> OverWindow:
    """The family's declared `over_window`, `refuse` when it declares none."""
    declared = getattr(family, "over_window", "refuse")
    return "cut" if declared == "cut" else "refuse"


@dataclass(frozen=True)
class GroupSpec:
    """A group asked for: its member tasks and the rule its family declared for it."""

    members: list[str]
    rule: GroupRule


@dataclass(frozen=True)
class TaskOptions:
    """Choices a user makes per run that change what a task scores."""

    split: str | None = None
    """Evaluation split for families that offer a choice (XNLI: validation or test)."""
    with_spbleu: bool = False
    """Whether the pinned flores200 SentencePiece model is in place."""


class TaskFamily(Protocol):
    """One benchmark family: its names, data, lm-eval configs and scoring."""

    name: str
    """Family name, also the name of the group of all its tasks."""
    data_set: str
    """Folder under the data root (and `harness data fetch` name)."""
    discovered: bool
    """True when task names come from the data (so listing them needs it)."""
    splits: tuple[str, ...]
    """Evaluation splits a user may choose with `--split`; empty when the family fixes its split."""

    def groups(self, root: Path | None) -> dict[str, list[str]]: ...

    def group_rule(self, group: str) -> GroupRule:
        """How the group's score is aggregated from its members' (see `GroupRule`)."""
        ...

    def meta(self, name: str) -> TaskMeta:
        """The task's language, primary metric and protocol, stored with every result."""
        ...

    def owns(self, name: str, root: Path | None) -> bool: ...

    def task_info(self, name: str, root: Path, options: TaskOptions) -> TaskInfo: ...

    def lm_eval_config(self, name: str, root: Path, options: TaskOptions) -> dict[str, Any]: ...

    def collect(self, name: str, output: dict[str, Any], info: TaskInfo) -> TaskOutcome: ...


@dataclass(frozen=True)
class JudgeRequest:
    """One document for the LLM judge."""

    doc_id: int
    prompt: str
    """The judge's user message; the runner wraps it in the judge's chat template when it has one."""
    max_gen_toks: int
    until: tuple[str, ...]


@dataclass(frozen=True)
class JudgeReplies:
    """What the judge model generated (greedily) for a task's requests."""

    judge: str
    """The judge model as resolved (its name and kind), for signatures."""
    chat_template: bool
    """Whether the prompts went through the judge's chat template."""
    texts: dict[int, str]
    """doc_id -> the judge's raw output."""


@runtime_checkable
class JudgedFamily(Protocol):
    """A family with a metric an LLM judge scores after lm-eval has generated the outputs
    (`harness eval --judge-model`); the runner calls these after `collect`."""

    judge_prompt_version: str

    def judge_requests(self, name: str, outcome: TaskOutcome) -> list[JudgeRequest]: ...

    def apply_judgements(self, name: str, outcome: TaskOutcome, replies: JudgeReplies | None) -> TaskOutcome:
        """The outcome with the judged metrics added; `replies` None: no judge, reported as not computed."""
        ...
