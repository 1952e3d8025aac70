"""Data parallelism for the Hugging Face backends (`--data-parallel N`): one model replica per
process, each request list split among them and the answers merged back in order.

`DataParallelLM` is the lm-eval model of the evaluating process. It starts N worker processes
("spawn": CUDA cannot be forked), each loading the same model with `load_hf` on its own device
(`cuda:0` ... `cuda:N-1`, or all on the CPU, whose cores they share out). Requests travel as their
`Instance.args` tuples; requests with the same context go to the same worker, so shared-context
scoring still runs each context once. The response cache stays in this process, around this model
(`harness.engine.backends.cached.attach`): workers never open it. A worker that dies fails the request in
flight with a HarnessError naming it and its exit code; it never leaves the run waiting.
"""

import contextlib
import logging
import multiprocessing
import os
import signal
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, NoReturn

from lm_eval.api.model import LM

from core.errors import HarnessError
from harness.engine.models import ModelSpec

log = logging.getLogger(__name__)

ENGINE_LOGGERS = ("lm_eval", "transformers", "datasets", "accelerate", "peft")
"""Loggers whose levels workers copy from this process (`harness eval --verbose` or not)."""


@contextlib.contextmanager
def _without_main_script() -> Iterator[None]:
    """A spawned process first re-runs the parent's `__main__` script (by its path, or its module
    name) so that pickled objects from it resolve. Workers need nothing from it, and a `__main__`
    that is not a guarded script (a Streamlit page run in this process, an embedding application)
    would run again in every worker, so it is hidden while a worker starts."""
    import sys

    main = sys.modules.get("__main__")
    names: tuple[str, ...] = ("__file__", "__spec__")
    saved: dict[str, Any] = {k: main.__dict__[k] for k in names if main is not None and k in main.__dict__}
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__dict__["__spec__"] = None
        yield
    finally:
        if main is not None:
            main.__dict__.pop("__spec__", None)
            main.__dict__.update(saved)


def worker_devices(device: str, n: int) -> list[str]:
    """Each worker's device: `cuda:0` ... `cuda:N-1` on `cuda`, the CPU N times on `cpu`."""
    if n == 1:
        return [device]
    if device == "cuda":
        return [f"cuda:{i}" for i in range(n)]
    if device == "cpu":
        return ["cpu"] * n
    raise HarnessError(f"--data-parallel {n} puts worker i on cuda:i: --device cuda or cpu, not {device}")


def shard(args: list[tuple[Any, ...]], n: int) -> list[list[int]]:
    """Indices of the requests `args` for each of `n` workers, each list in request order. Requests
    with the same context (`args[0]`) stay together, in pieces of at most a worker's fair share
    (XNLI puts every choice in the continuation, after one empty context); the pieces are dealt
    largest first (in characters) to the worker with the least so far."""
    by_context: dict[str, list[int]] = {}
    for i, arg in enumerate(args):
        by_context.setdefault(str(arg[0]), []).append(i)
    share = -(-len(args) // n)
    pieces = [group[k : k + share] for group in by_context.values() for k in range(0, len(group), share)]

    def cost(piece: list[int]) -> int:
        continuations = sum(len(args[i][1]) for i in piece if isinstance(args[i][1], str))
        return len(str(args[piece[0]][0])) + continuations

    loads = [0] * n
    shards: list[list[int]] = [[] for _ in range(n)]
    for piece in sorted(pieces, key=cost, reverse=True):
        worker = min(range(n), key=lambda k: (loads[k], k))
        shards[worker].extend(piece)
        loads[worker] += cost(piece)
    return [sorted(s) for s in shards]


@dataclass
class _Worker:
    index: int
    device: str
    process: Any
    """A `multiprocessing` process of the spawn context."""
    conn: Connection
    busy: bool = False
    """Answering a message: not listening for "stop"."""

    def name(self) -> str:
        return f"--data-parallel worker {self.index} ({self.device}, pid {self.process.pid})"


class DataParallelLM(LM):
    """lm-eval's model contract over N worker processes, each holding its own replica."""

    def __init__(
        self, spec: ModelSpec, devices: list[str], dtype: str, batch_size: int, shared_context: bool
    ) -> None:
        super().__init__()
        self._device = devices[0]
        self.spec = spec
        self._workers: list[_Worker] = []
        self._broken: str | None = None
        self._tokenizer: Any = None
        context = multiprocessing.get_context("spawn")
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        threads = max(1, cores // len(devices)) if devices[0] == "cpu" else None
        levels = {name: logging.getLogger(name).level for name in ENGINE_LOGGERS}
        try:
            for index, device in enumerate(devices):
                ours, theirs = context.Pipe()
                options = (spec, device, dtype, batch_size, shared_context, threads, levels)
                process = context.Process(
                    target=_serve, args=(theirs, *options), name=f"harness-data-parallel-{index}", daemon=True
                )
                with _without_main_script():
                    process.start()
                theirs.close()
                self._workers.append(_Worker(index, device, process, ours))
            self._gather(self._workers)  # each says it is ready, or why not
        except BaseException:
            self.close()
            raise
        self._finalizer = weakref.finalize(self, _stop, list(self._workers))

    @property
    def pids(self) -> list[int]:
        """The workers' process ids, worker 0 first."""
        return [int(w.process.pid) for w in self._workers]

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        return [(float(a[0]), bool(a[1])) for a in self._split("loglikelihood", requests, disable_tqdm)]

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        return [float(a) for a in self._split("loglikelihood_rolling", requests, disable_tqdm)]

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        return [str(a) for a in self._split("generate_until", requests, disable_tqdm)]

    def _split(self, kind: str, requests: list[Any], disable_tqdm: bool) -> list[Any]:
        """Every worker answers its shard; the answers come back in the order of `requests`."""
        args = [tuple(r.args) for r in requests]
        shards = shard(args, len(self._workers))
        busy = []
        for worker, indices in zip(self._workers, shards, strict=True):
            if indices:
                quiet = disable_tqdm or worker.index != 0  # one progress bar, worker 0's
                self._send(worker, ("requests", kind, [args[i] for i in indices], {"disable_tqdm": quiet}))
                busy.append(worker)
        replies = self._gather(busy)
        answers: list[Any] = [None] * len(requests)
        for worker in busy:
            indices = shards[worker.index]
            if len(replies[worker.index]) != len(indices):
                raise HarnessError(f"{worker.name()} answered {len(replies[worker.index])} of {len(indices)}")
            for i, answer in zip(indices, replies[worker.index], strict=True):
                answers[i] = answer
        return answers

    def _ask(self, op: str, name: str, *args: Any, **kwargs: Any) -> Any:
        """An attribute (`op` "attr") or a method's answer (`op` "call") of worker 0's model."""
        worker = self._workers[0]
        self._send(worker, (op, name, args, kwargs))
        return self._gather([worker])[0]

    @property
    def tokenizer_name(self) -> str:
        return str(self._ask("attr", "tokenizer_name"))

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            self._tokenizer = self._ask("attr", "tokenizer")
        return self._tokenizer

    @property
    def max_length(self) -> int:
        return int(self._ask("attr", "max_length"))

    def tok_encode(self, string: str, **kwargs: Any) -> list[int]:
        return list(self._ask("call", "tok_encode", string, **kwargs))

    def chat_template(self, chat_template: bool | str = False) -> str | None:
        answer = self._ask("call", "chat_template", chat_template)
        return None if answer is None else str(answer)

    def apply_chat_template(
        self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True
    ) -> str:
        return str(self._ask("call", "apply_chat_template", chat_history, add_generation_prompt))

    def get_model_info(self) -> dict[str, Any]:
        return dict(self._ask("call", "get_model_info"))

    def _send(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        if self._broken:
            raise HarnessError(self._broken)
        try:
            worker.conn.send(message)
            worker.busy = True
        except (EOFError, OSError):
            worker.process.join(timeout=5)
            self._fail(worker)

    def _gather(self, workers: list[_Worker]) -> dict[int, Any]:
        """Worker index -> its reply, for every worker in `workers`; a worker that exits first, or
        any worker's error, raises once all the live ones have replied (or one is found dead)."""
        replies: dict[int, Any] = {}
        errors: list[str] = []
        waiting = {w.index: w for w in workers}
        while waiting:
            handles: list[Any] = [w.conn for w in waiting.values()]
            handles += [w.process.sentinel for w in waiting.values()]
            wait(handles)
            for index, worker in list(waiting.items()):
                if worker.conn.poll():
                    try:
                        status, payload = worker.conn.recv()
                    except (EOFError, OSError):
                        worker.process.join(timeout=5)
                        self._fail(worker)
                    del waiting[index]
                    worker.busy = False
                    if status == "ok":
                        replies[index] = payload
                    else:
                        errors.append(f"{worker.name()} failed: {payload}")
                elif not worker.process.is_alive():
                    self._fail(worker)
        if errors:
            raise HarnessError("; ".join(errors))
        return replies

    def _fail(self, worker: _Worker) -> NoReturn:
        code = worker.process.exitcode
        how = f"exit code {code}"
        if code is not None and code < 0:
            how += f", killed by {signal.Signals(-code).name}"
        self._broken = f"{worker.name()} died ({how}); the run cannot continue without it"
        raise HarnessError(self._broken)

    def close(self) -> None:
        """Stop the workers (those still busy are terminated)."""
        finalizer = getattr(self, "_finalizer", None)
        if finalizer is not None:
            finalizer()
        else:
            _stop(self._workers)


def _stop(workers: list[_Worker]) -> None:
    for worker in workers:
        if worker.busy:  # its answer is no longer wanted (another worker died, or the run stopped)
            worker.process.terminate()
            continue
        with contextlib.suppress(EOFError, OSError):
            worker.conn.send(("stop", "", (), {}))
    for worker in workers:
        worker.process.join(timeout=10)
        if worker.process.is_alive():
            worker.process.terminate()
            worker.process.join(timeout=10)
        worker.conn.close()


def _serve(
    conn: Connection,
    spec: ModelSpec,
    device: str,
    dtype: str,
    batch_size: int,
    shared_context: bool,
    threads: int | None,
    levels: dict[str, int],
) -> None:
    """A worker: load the model, then answer messages until "stop" or until the parent is gone."""
    import traceback

    os.dup2(2, 1)  # stdout belongs to the parent (`--json`); the engine's prints go to stderr
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops the workers
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    try:
        import torch

        if threads:
            torch.set_num_threads(threads)
        from lm_eval.api.instance import Instance

        from harness.engine.backends.hf import load_hf

        lm = load_hf(spec, device, dtype, batch_size, shared_context)
        conn.send(("ok", None))
    except Exception as exc:
        conn.send(("error", f"loading {spec.pretrained}: {type(exc).__name__}: {exc}"))
        return
    while True:
        try:
            op, name, args, kwargs = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if op == "stop":
            return
        try:
            if op == "requests":
                instances = [Instance(name, {}, arg, i) for i, arg in enumerate(args)]
                reply = ("ok", getattr(lm, name)(instances, **kwargs))
            elif op == "attr":
                reply = ("ok", getattr(lm, name))
            else:
                reply = ("ok", getattr(lm, name)(*args, **kwargs))
        except Exception as exc:
            if not isinstance(exc, HarnessError):  # unexpected: the parent shows the message only
                traceback.print_exc()
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return  # the parent is gone
        except Exception as exc:  # an answer that does not pickle
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
