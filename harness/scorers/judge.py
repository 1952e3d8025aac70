"""The LLM judge of `harness eval --judge-model`: any model the harness loads (folder, alias, hub
id), loaded once per run and only when a judged task has produced its outputs, generating greedily
through lm-eval's `generate_until` (the same HFLM backend as the evaluated model)."""

from collections.abc import Callable, Mapping
from typing import Any

from core.errors import HarnessError
from core.records import TaskOutcome
from harness.scorers.base import EvaluatedModel, ScorerContext, Written
from tasks.base import JudgedFamily, JudgeReplies, JudgeRequest, TaskFamily


class Judge:
    """A judge model, loaded on first use; the evaluated model itself when it is the same checkpoint."""

    def __init__(self, spec: Any, load: Callable[[Any], Any], same_as_evaluated: Any = None):
        """`spec`: the engine's model spec of the judge (name, kind, path, pretrained, peft)."""
        self.spec = spec
        self._load = load
        self._lm = same_as_evaluated

    @property
    def name(self) -> str:
        return f"{self.spec.name}({self.spec.kind})"

    def lm(self) -> Any:
        if self._lm is None:
            try:
                self._lm = self._load(self.spec)
            except (OSError, ValueError) as exc:  # transformers' errors for missing or unreadable weights
                raise HarnessError(f"--judge-model {self.spec.path}: could not load it ({exc})") from exc
        return self._lm

    def uses_chat_template(self) -> bool:
        return bool(getattr(self.lm().tokenizer, "chat_template", None))

    def context(self, prompt: str) -> str:
        """The judge prompt as the model reads it: in its chat template when it has one."""
        if self.uses_chat_template():
            return str(self.lm().apply_chat_template([{"role": "user", "content": prompt}]))
        return prompt

    def budget(self, doc_id: int, context: str, cap: int) -> int:
        """New tokens the judge may generate for one context: `cap`, or less where the judge's context
        window has less room after the prompt (lm-eval would otherwise cut the prompt's start). A
        verdict cut by the budget is counted by the family's parser, not hidden."""
        lm = self.lm()
        room = int(lm.max_length) - len(lm.tok_encode(context)) - 1  # one token for a BOS the backend may add
        if room < 1:
            raise HarnessError(
                f"judge {self.name}: the prompt of document {doc_id} does not fit its context window"
                f" of {lm.max_length} tokens"
            )
        return min(cap, room)

    def generate(self, task: str, requests: list[JudgeRequest]) -> JudgeReplies:
        """Greedy generations for the requests of one task."""
        from lm_eval.api.instance import Instance

        instances = []
        for r in requests:
            context = self.context(r.prompt)
            kwargs = {"until": list(r.until), "max_gen_toks": self.budget(r.doc_id, context, r.max_gen_toks)}
            instances.append(
                Instance(
                    request_type="generate_until",
                    doc={},
                    arguments=(context, {**kwargs, "do_sample": False}),
                    idx=0,
                    metadata=(f"{task}:judge", r.doc_id, 1),
                )
            )
        texts = self.lm().generate_until(instances, disable_tqdm=True) if instances else []
        return JudgeReplies(
            judge=self.name,
            chat_template=self.uses_chat_template(),
            texts={r.doc_id: str(t) for r, t in zip(requests, texts, strict=True)},
        )


def judge_outcome(fam: TaskFamily, name: str, outcome: TaskOutcome, judge: Judge | None) -> TaskOutcome:
    """The outcome with its judged metrics when `fam` has any (not computed without a judge)."""
    if not isinstance(fam, JudgedFamily):
        return outcome
    replies = judge.generate(name, fam.judge_requests(name, outcome)) if judge else None
    return fam.apply_judgements(name, outcome, replies)


class JudgeScorer:
    """The LLM judge (`harness.scorers.base.Scorer`) of the families with judged metrics (IF-MT)."""

    name = "judge"
    reads = ("prompt", "output")
    writes = (
        Written("rule_adherence", higher_is_better=True),
        Written("judge_unparseable", higher_is_better=False, per_sample=False),
        Written("judge_cut_off", higher_is_better=False),
    )
    environment = "the main environment (the judge model loads with transformers)"
    scores_what = "judged task (IF-MT ifmt_*)"

    def __init__(self, given: str | None, spec: Any, judged: Mapping[str, str], judge: Judge | None) -> None:
        self.given = given
        self.spec = spec
        self.judged = dict(judged)
        """Task -> its judge prompt version."""
        self.judge = judge

    @classmethod
    def _judged(cls, context: ScorerContext) -> dict[str, str]:
        return {n: f.judge_prompt_version for n, f in context.tasks.items() if isinstance(f, JudgedFamily)}

    @classmethod
    def _build(cls, context: ScorerContext, judged: dict[str, str]) -> "JudgeScorer":
        given = context.options.judge_model
        if given is None:
            return cls(None, None, judged, None)
        assert context.resolve_model is not None and context.load_model is not None
        spec = context.resolve_model(given)
        return cls(given, spec, judged, Judge(spec, context.load_model))

    @classmethod
    def for_run(cls, context: ScorerContext) -> "JudgeScorer | None":
        """With judged tasks, always (without --judge-model their metrics say "not computed")."""
        judged = cls._judged(context)
        given = context.options.judge_model
        if judged and not given:
            context.warn(f"no --judge-model: {', '.join(judged)} will report rule adherence as not computed")
        if given and not judged:
            context.warn(f"--judge-model {given}: none of the tasks uses a judge; it is not loaded")
        return cls._build(context, judged) if judged else None

    @classmethod
    def for_rescore(cls, context: ScorerContext) -> "JudgeScorer":
        if not context.options.judge_model:
            raise HarnessError("--metric judge needs --judge-model: a checkpoint folder, alias or hub id")
        return cls._build(context, cls._judged(context))

    @classmethod
    def applies(cls, family: Any, task: str) -> bool:
        return isinstance(family, JudgedFamily)

    def fingerprint(self) -> dict[str, Any]:
        """The judge model as given and as resolved, and each judged task's judge prompt version."""
        resolved = None
        if self.spec is not None:
            s = self.spec
            resolved = {"name": s.name, "kind": s.kind, "pretrained": s.pretrained, "peft": s.peft}
        return {"model": self.given, "resolved": resolved, "prompt_versions": self.judged}

    def attach(self, evaluated: EvaluatedModel) -> None:
        """A judge of the same weights as the evaluated model reuses it instead of loading them twice."""
        if self.judge is not None and self.spec is not None:
            same = (self.spec.pretrained, self.spec.peft) == (evaluated.spec.pretrained, evaluated.spec.peft)
            if same:
                self.judge = Judge(self.spec, self.judge._load, evaluated.lm)

    def score(self, family: Any, task: str, outcome: TaskOutcome) -> TaskOutcome:
        return judge_outcome(family, task, outcome, self.judge)
