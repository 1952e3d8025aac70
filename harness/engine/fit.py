"""Checks made before the model's weights load and before a run row exists: the model's
`config.json` (readable, valid, its context window), each task's few-shot pool, and each task's
generation budget and longest prompt against the window.

The window is the one the backend will use (lm-eval's `resolve_max_length` over the config and the
tokenizer, as its `hf` class and ours read it; the served model's config for `--backend api`). A
generative task whose budget and longest prompt do not fit together is cut or refused, as its
family declares (`tasks.base.OverWindow`); a refused task is left out and the run ends `partial`
naming it. Prompts are the ones lm-eval will send: each task's requests are built here as the
evaluator builds them (same few-shot seed, limit and chat template), measured with the model's
tokenizer, and dropped (the evaluator builds them again; the task objects are kept and reused).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core.errors import EnvironmentFailure, HarnessError
from core.records import TaskOutcome
from harness.engine.batching import BuiltTask, build_task
from harness.engine.models import ModelSpec
from harness.engine.specs import EvalConfig
from tasks.base import TaskFamily, TaskOptions, over_window

DEFAULT_MAX_GEN_TOKS = 256
"""lm-eval's budget for a generative task that sets none (`HFLM.max_gen_toks`)."""


@dataclass(frozen=True)
class Fit:
    """How a task fits the model's window."""

    budget: int | None = None
    """The generation budget asked for (None: not a generative task)."""
    cut: int | None = None
    """The budget it runs with when cut to fit; None: not cut."""
    window: int = 0
    longest: int = 0
    """Tokens of the longest prompt."""
    truncated: int = 0
    """Prompts longer than the room the window leaves them (lm-eval keeps their end)."""
    prompts: int = 0

    def note(self) -> str:
        parts = []
        if self.cut is not None:
            parts.append(
                f"generation budget cut from {self.budget} to {self.cut} new tokens to fit the model's "
                f"{self.window}-token window (longest prompt {self.longest} tokens)"
            )
        if self.truncated:
            parts.append(
                f"{self.truncated} of {self.prompts} prompts longer than the model's {self.window}-token "
                "window leaves them; lm-eval kept their end"
            )
        return "; ".join(parts)

    def record(self, outcome: TaskOutcome) -> TaskOutcome:
        """The outcome with the cut in each metric's signature, and the note, when there is one."""
        note = self.note()
        if not note:
            return outcome
        suffix = f"|max_gen_toks:{self.cut}-cut-from-{self.budget}" if self.cut is not None else ""
        metrics = [
            replace(
                m,
                signature=m.signature + suffix if m.signature else m.signature,
                note="; ".join(p for p in (m.note, note) if p),
            )
            for m in outcome.metrics
        ]
        return replace(outcome, metrics=metrics)


@dataclass
class Preflight:
    """The run's tasks built and checked: what runs, how it fits, and what was refused."""

    built: dict[str, BuiltTask] = field(default_factory=dict)
    fits: dict[str, Fit] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    """Task -> why it cannot run on this model."""
    window: int | None = None


@contextmanager
def data_errors(name: str, family: TaskFamily, root: Path) -> Iterator[None]:
    """A data file a family reads without its own check that fails to decode: an error naming the
    task, its data folder and the fix (the families' readers name the file and line where they can)."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise HarnessError(
            f"{name}: a data file under {root} is not valid UTF-8 ({exc.reason} at byte {exc.start}; a cut "
            f"or damaged file?); run `harness data fetch {family.data_set}` again or restore the folder"
        ) from None


def _causes(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in out:
        out.append(current)
        current = current.__cause__ or current.__context__
    return out


def _config_error(spec: ModelSpec, exc: Exception) -> HarnessError:
    """A clear error for a model config transformers could not read."""
    if spec.kind == "hub" and not Path(spec.pretrained).exists():
        names = {type(e).__name__ for e in _causes(exc)}
        text = str(exc)
        if "GatedRepoError" in names or "gated repo" in text:
            return HarnessError(
                f"--model {spec.path}: {spec.pretrained!r} is gated on the Hugging Face hub; accept its "
                "terms and log in (`hf auth login` or HF_TOKEN), or give a local checkpoint folder"
            )
        if "RepositoryNotFoundError" in names or "not a valid model identifier" in text:
            return HarnessError(
                f"--model {spec.path}: the Hugging Face hub has no model {spec.pretrained!r}; check the id, "
                "or give a local checkpoint folder (config.json, weights, tokenizer)"
            )
        return EnvironmentFailure(
            f"--model {spec.path}: the Hugging Face hub is unreachable (offline, HF_HUB_OFFLINE=1 or no "
            f"network) and {spec.pretrained!r} is not in the local cache, or is not a hub id at all; "
            "offline, give --model a local checkpoint folder (config.json, weights, tokenizer)"
        )
    config = Path(spec.pretrained) / "config.json"
    first = str(exc).strip().splitlines()
    detail = " ".join(line.strip() for line in first[:2]) if first else type(exc).__name__
    return HarnessError(
        f"--model {spec.path}: {config} cannot be read as a model config ({detail}); restore the "
        "checkpoint's config.json (save_pretrained writes it)"
    )


def model_config(spec: ModelSpec) -> Any:
    """The model's transformers config, read without the weights; a missing, cut or invalid
    `config.json` and an unreachable hub are errors naming the file or the id."""
    from transformers import AutoConfig

    try:
        return AutoConfig.from_pretrained(spec.pretrained)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise _config_error(spec, exc) from exc
    except Exception as exc:  # huggingface_hub's strict dataclass validation errors
        if type(exc).__module__.startswith(("huggingface_hub", "transformers")):
            raise _config_error(spec, exc) from exc
        raise


def _tokenizer(spec: ModelSpec) -> Any:
    """The model's tokenizer, or None when it cannot be read here (the window is then checked
    against the budget alone; loading reports the tokenizer's own error)."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(spec.pretrained)
    except Exception:  # noqa: BLE001 (any failure: measured without prompts)
        return None


def model_window(config: EvalConfig, spec: ModelSpec, model_cfg: Any, tokenizer: Any) -> int:
    """The context window the backend will use, in tokens."""
    if config.backend == "api":
        from harness.engine.backends.api import _max_length

        return _max_length(spec)
    from lm_eval.models.utils import resolve_max_length

    return resolve_max_length(model_cfg, tokenizer, default=2048)


def check_fewshot(name: str, task: Any) -> None:
    """`--num-fewshot N` (or the task's default) needs N examples in the task's few-shot pool."""
    shots = int(task.config.num_fewshot or 0)
    if shots <= 0:
        return
    docs = task.fewshot_docs()
    pool = 0 if docs is None else len(docs)
    # lm-eval samples one more when the few-shot split is the scored one, and drops the document itself
    same = task.config.fewshot_split is not None and task.config.fewshot_split == task.config.test_split
    available = pool - 1 if same else pool
    if available < shots:
        cfg = task.config
        split = cfg.fewshot_split or (
            cfg.training_split if task.has_training_docs() else cfg.validation_split or cfg.test_split
        )
        where = f"its {split} split" if split else "its few-shot pool"
        raise HarnessError(
            f"--num-fewshot {shots}: {name} has {max(available, 0)} few-shot example(s) ({where}); "
            f"give --num-fewshot {max(available, 0)} or less"
        )


def _chat_template(tokenizer: Any) -> Callable[..., str]:
    """lm-eval's `HFLM.apply_chat_template` on the tokenizer alone."""
    import jinja2

    def apply(history: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        kwargs = {"tokenize": False, "add_generation_prompt": add_generation_prompt}
        kwargs["continue_final_message"] = not add_generation_prompt
        try:
            return str(tokenizer.apply_chat_template(history, **kwargs))
        except jinja2.exceptions.TemplateError:
            history = [m for m in history if m["role"] != "system"]
            return str(tokenizer.apply_chat_template(history, **kwargs))

    return apply


def _prompt_lengths(built: BuiltTask, config: EvalConfig, tokenizer: Any) -> tuple[list[int], list[int]]:
    """Token counts of each request's prompt and of its continuation (0 for a generation), as the
    evaluator will build the requests; the built requests are dropped afterwards."""
    task = built.task
    if task.OUTPUT_TYPE == "loglikelihood_rolling":
        return [], []  # a whole document in rolling windows: nothing is cut to fit
    task.set_fewshot_seed(seed=config.fewshot_seed)
    template = config.apply_chat_template
    task.build_all_requests(
        limit=built.documents,
        apply_chat_template=template,
        fewshot_as_multiturn=template,
        chat_template=_chat_template(tokenizer) if template else None,
        tokenizer_name=getattr(tokenizer, "name_or_path", "") if template else "",
    )
    contexts, continuations = [], []
    for instance in task.instances:
        context, second = instance.arguments[0], instance.arguments[1]
        contexts.append(context if isinstance(context, str) else str(context))
        continuations.append(second if isinstance(second, str) else "")
    task._instances = None  # the evaluator builds them again
    if not contexts:
        return [], []
    unique = sorted(set(contexts) | set(continuations))
    counts = dict(
        zip(unique, map(len, tokenizer(unique, add_special_tokens=False)["input_ids"]), strict=True)
    )
    return [counts[c] for c in contexts], [counts[c] for c in continuations]


def _fit(
    name: str, family: TaskFamily, built: BuiltTask, window: int, lengths: tuple[list[int], list[int]]
) -> Fit | str:
    """How the task fits, or why it is refused."""
    prompts, continuations = lengths
    longest = max(prompts, default=0)
    task = built.task
    if task.OUTPUT_TYPE != "generate_until":
        whole = [p + c for p, c in zip(prompts, continuations, strict=True)]
        truncated = sum(1 for n in whole if n > window + 1)
        return Fit(window=window, longest=longest, truncated=truncated, prompts=len(whole))
    kwargs = task.config.generation_kwargs or {}
    budget = int(kwargs.get("max_gen_toks", DEFAULT_MAX_GEN_TOKS))
    if longest + budget <= window:
        return Fit(budget=budget, window=window, longest=longest, prompts=len(prompts))
    if over_window(family) == "cut":
        cut = window - longest
        if cut < 1:
            return (
                f"its longest prompt ({longest} tokens) fills the model's {window}-token window, leaving "
                "no room to generate"
            )
        task.config.generation_kwargs = {**kwargs, "max_gen_toks": cut}
        return Fit(budget=budget, cut=cut, window=window, longest=longest, prompts=len(prompts))
    if budget >= window:
        return (
            f"its generation budget of {budget} new tokens is part of {family.name}'s protocol and does "
            f"not fit the model's {window}-token window; use a model with a window longer than {budget} "
            "tokens"
        )
    room = window - budget
    truncated = sum(1 for n in prompts if n > room)
    return Fit(budget=budget, window=window, longest=longest, truncated=truncated, prompts=len(prompts))


def preflight(
    config: EvalConfig,
    tasks: list[tuple[str, TaskFamily]],
    roots: dict[str, Path],
    options: TaskOptions,
    spec: ModelSpec,
) -> Preflight:
    """Read the model's config, build every task, and check its few-shot pool and how it fits
    the model's window; a bad config or pool is an error, a task that cannot fit is refused."""
    from lm_eval.tasks import TaskManager

    if config.backend == "api" and spec.kind == "hub":  # served weights named by id: nothing local to read
        model_cfg, tokenizer = None, None
    else:
        model_cfg = model_config(spec)
        tokenizer = _tokenizer(spec)
    window = model_window(config, spec, model_cfg, tokenizer)
    out = Preflight(window=window)
    manager = TaskManager(include_defaults=False)
    for name, family in tasks:
        with data_errors(name, family, roots[family.data_set]):
            built = build_task(name, family, roots[family.data_set], config, options, manager)
        check_fewshot(name, built.task)
        out.built[name] = built
        if tokenizer is None:
            lengths: tuple[list[int], list[int]] = ([], [])
        else:
            lengths = _prompt_lengths(built, config, tokenizer)
        fit = _fit(name, family, built, window, lengths)
        if isinstance(fit, str):
            out.refused[name] = fit
        else:
            out.fits[name] = fit
    return out
