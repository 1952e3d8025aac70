"""The LLM judge of `harness eval --judge-model`: any model the harness loads (folder, alias, hub
id), loaded once per run and only when a judged task has produced its outputs, generating greedily
through lm-eval's `generate_until` (the same HFLM backend as the evaluated model)."""

from collections.abc import Callable
from typing import Any

from core.errors import HarnessError
from core.records import TaskOutcome
from harness.models import ModelSpec
from tasks.base import JudgedFamily, JudgeReplies, JudgeRequest, TaskFamily


class Judge:
    """A judge model, loaded on first use; the evaluated model itself when it is the same checkpoint."""

    def __init__(self, spec: ModelSpec, load: Callable[[ModelSpec], Any], same_as_evaluated: Any = None):
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
