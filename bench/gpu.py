"""Speed on a CUDA GPU, two modes.

`--mode mcq` (default): multiple-choice scoring throughput, ours (`harness-hf`) and lm-eval's `hf`
model against a plain batched forward pass over the same contexts, the practical limit.

    .venv/bin/python bench/gpu.py [--docs 512] [--choices 4] [--context 400] [--batch-size 32]
                                  [--dtype float32|bfloat16] [--device cuda]

The model is SmolLM2-135M's architecture built from its config with random weights (the real
checkpoint is too large to carry to a lent GPU machine; throughput depends on the shapes, not the
weights). The multiple-choice set is synthetic and seeded: `--docs` contexts of about `--context`
tokens (+-25%), each with `--choices` continuations of 1 to 5 tokens. All three passes see the
same token ids. Printed: tokens/s of each (context tokens of the distinct documents per second of
wall time, after one warm-up batch), each one's share of the plain forward's rate, our speed-up
over lm-eval's, and the largest |delta loglikelihood| between the two scorers. `--device cpu`
runs it anywhere with small numbers, as a check of the script itself.

`--mode jobs`: whole jobs, process start to stored results, each a fresh process.

    python bench/gpu.py --mode jobs [--pack build/gpu-pack] [--tasks kobest_boolq,flores_eng_Latn-lin_Latn]
                        [--batch-size 128] [--dtype bfloat16] [--device cuda] [--limit N] [--repeat 1]
                        [--tiny] [--out DIR]

From the folder `scripts/gpu_pack.py` writes (the tasks' data, SmolLM2-135M's config and tokenizer),
it saves a random-weight SmolLM2-135M checkpoint (`--tiny`: the tests' tiny model instead), then for
each task times `harness eval --backend hf --no-cache` (into a SQLite database migrated beforehand,
as a user's is) against lm-eval's `hf` model through `lm_eval.simple_evaluate` on the same task
config (the one our family builds and `harness eval` hands lm-eval), writing its results and
samples to JSON. Both use `--batch-size` and `--dtype`. Printed and written to `OUT/jobs.json`:
seconds of each (median of `--repeat`), the ratio, and per-sample agreement (KoBEST: predicted
choice equal, and the largest |delta loglikelihood|; FLORES: hypothesis equal). Random weights
rarely emit the newline that ends a FLORES answer, so hypotheses run to about the 256-token limit.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for `tests.tiny_model`

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]
JOB_TASKS = "kobest_boolq,flores_eng_Latn-lin_Latn"

# HuggingFaceTB/SmolLM2-135M's config.json (the model family's published architecture).
SMOLLM2_135M = {
    "vocab_size": 49152,
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "max_position_embeddings": 8192,
    "rope_theta": 100000.0,
    "rms_norm_eps": 1e-5,
    "tie_word_embeddings": True,
    "bos_token_id": 0,
    "eos_token_id": 0,
}


def synthetic_requests(docs: int, choices: int, context: int, seed: int) -> list[Any]:
    rng = random.Random(seed)
    vocab = SMOLLM2_135M["vocab_size"]
    requests = []
    for _ in range(docs):
        ctx = [rng.randrange(1, vocab) for _ in range(rng.randint(context * 3 // 4, context * 5 // 4))]
        for _ in range(choices):
            cont = [rng.randrange(1, vocab) for _ in range(rng.randint(1, 5))]
            requests.append((("", ""), ctx, cont))
    return requests


def plain_forward(model: Any, contexts: list[list[int]], batch_size: int, device: Any) -> None:
    """Each context once, padded batches sorted by length, logits at the last position only."""
    import torch

    ordered = sorted(contexts, key=len, reverse=True)
    with torch.no_grad():
        for start in range(0, len(ordered), batch_size):
            batch = ordered[start : start + batch_size]
            width = max(len(c) for c in batch)
            ids = torch.zeros((len(batch), width), dtype=torch.long, device=device)
            mask = torch.zeros_like(ids)
            for row, ctx in enumerate(batch):
                ids[row, : len(ctx)] = torch.tensor(ctx, device=device)
                mask[row, : len(ctx)] = 1
            model(input_ids=ids, attention_mask=mask, logits_to_keep=1)


def timed(fn: Any, sync: Any) -> float:
    sync()
    started = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - started


def mcq_mode(args: argparse.Namespace) -> int:
    import torch
    from lm_eval.models.huggingface import HFLM
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from harness.engine.backends.scorer import SharedContextLM
    from tests.tiny_model import build_tiny_model

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("bench/gpu.py: no CUDA device here (torch.cuda.is_available() is False); "
              "use --device cpu to check the script itself", file=sys.stderr)  # fmt: skip
        return 2
    device = torch.device(args.device)
    dtype = getattr(torch, args.dtype)
    torch.manual_seed(args.seed)
    model = LlamaForCausalLM(LlamaConfig(**SMOLLM2_135M)).to(device=device, dtype=dtype).eval()
    with tempfile.TemporaryDirectory() as tmp:  # any tokenizer: the requests are token ids already
        tokenizer = AutoTokenizer.from_pretrained(build_tiny_model(Path(tmp) / "tok"))
    kwargs = {"pretrained": model, "tokenizer": tokenizer, "batch_size": args.batch_size}
    reference, ours = HFLM(**kwargs), SharedContextLM(**kwargs)

    requests = synthetic_requests(args.docs, args.choices, args.context, args.seed)
    contexts = list({tuple(r[1]): r[1] for r in requests}.values())
    tokens = sum(len(c) for c in contexts)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    # Warm-up: kernels, allocator, autotuning.
    warm = requests[: args.choices * 2]
    plain_forward(model, [r[1] for r in warm], args.batch_size, device)
    reference._loglikelihood_tokens(warm, disable_tqdm=True)
    ours._loglikelihood_tokens(warm, disable_tqdm=True)

    answers: dict[str, Any] = {}
    seconds = {
        "plain forward": timed(lambda: plain_forward(model, contexts, args.batch_size, device), sync),
        "lm-eval hf": timed(
            lambda: answers.__setitem__("ref", reference._loglikelihood_tokens(requests, disable_tqdm=True)),
            sync,
        ),
        "harness-hf": timed(
            lambda: answers.__setitem__("ours", ours._loglikelihood_tokens(requests, disable_tqdm=True)), sync
        ),
    }
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(
        f"SmolLM2-135M architecture (random weights), {args.dtype}, {name}; {args.docs} documents x "
        f"{args.choices} choices, {tokens:,} context tokens, batch size {args.batch_size}"
    )
    print(f"{'':16}{'seconds':>9}{'tokens/s':>12}{'of plain':>10}")
    limit = tokens / seconds["plain forward"]
    for label, secs in seconds.items():
        rate = tokens / secs
        print(f"{label:16}{secs:9.2f}{rate:12,.0f}{rate / limit:10.1%}")
    print(f"speed-up (lm-eval hf seconds / ours): {seconds['lm-eval hf'] / seconds['harness-hf']:.2f}x")
    delta = max(abs(a[0] - b[0]) for a, b in zip(answers["ref"], answers["ours"], strict=True))
    greedy_same = all(a[1] == b[1] for a, b in zip(answers["ref"], answers["ours"], strict=True))
    print(f"largest |delta loglikelihood|: {delta:.2e}; greedy flags identical: {greedy_same}")
    return 0


def make_checkpoint(pack: Path, folder: Path, dtype: str, tiny: bool, seed: int) -> Path:
    """SmolLM2-135M's architecture with random weights and its real tokenizer, saved as safetensors
    in `dtype` (`tiny`: the tests' tiny model, float32)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    shutil.rmtree(folder, ignore_errors=True)
    if tiny:
        from tests.tiny_model import build_tiny_model

        return build_tiny_model(folder, seed=seed)
    source = pack / "smollm2-135m"
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(source), dtype=getattr(torch, dtype))
    model.save_pretrained(folder)
    for name in os.listdir(source):  # tokenizer, chat template, generation config
        if name != "config.json":
            shutil.copyfile(source / name, folder / name)
    return folder


def harness_exe() -> list[str]:
    exe = Path(sys.executable).with_name("harness")
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "harness.cli"]


def job_env(out: Path) -> dict[str, str]:
    """Offline, and a harness cache of its own (no response cache, no language identifier)."""
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "HARNESS_CACHE": str(out / "harness-cache"),
    }


def run_job(cmd: list[str], env: dict[str, str], log: Path) -> tuple[float, str]:
    """Wall seconds from process start to exit, and its standard output; its stderr goes to `log`."""
    with log.open("w", encoding="utf-8") as err:
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        seconds = time.perf_counter() - started
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8")[-3000:]
        raise RuntimeError(f"exit {proc.returncode}: {' '.join(cmd)}\n{tail}")
    return seconds, proc.stdout


def lm_eval_worker(args: argparse.Namespace) -> int:
    """lm-eval's `hf` model on the task config our family builds; results and samples to JSON."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from tasks.base import TaskOptions
    from tasks.registry import expand

    data = args.pack / "data"
    [(name, family)] = expand([args.lm_eval_worker], lambda data_set: data / data_set)
    output = simple_evaluate(
        model="hf",
        model_args={"pretrained": str(args.checkpoint), "dtype": args.dtype, "device": args.device},
        tasks=[family.lm_eval_config(name, data / family.data_set, TaskOptions())],
        batch_size=args.batch_size,
        limit=args.limit,
        log_samples=True,
        task_manager=TaskManager(include_defaults=False),
    )
    assert output is not None
    stored = {"results": output["results"], "samples": output["samples"]}
    args.worker_out.write_text(json.dumps(stored, default=str), encoding="utf-8")
    return 0


def lm_eval_answers(path: Path, task: str) -> tuple[dict[int, Any], dict[str, Any]]:
    """Per document: the choices' loglikelihoods (multiple choice) or the hypothesis; and the scores."""
    stored = json.loads(path.read_text(encoding="utf-8"))
    answers = {
        int(s["doc_id"]): s["chrf++"][1] if "chrf++" in s else [r[0][0] for r in s["resps"]]
        for s in stored["samples"][task]
    }
    return answers, stored["results"][task]


def harness_answers(run_id: str, db_url: str, env: dict[str, str]) -> dict[int, Any]:
    cmd = harness_exe() + ["results", "--run", run_id, "--format", "json", "--samples", "--db", db_url]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return {
        int(s["doc_id"]): s["scores"].get("loglikelihoods", s["output"])
        for s in json.loads(proc.stdout)["samples"]
    }


def agreement(ours: dict[int, Any], theirs: dict[int, Any]) -> dict[str, Any]:
    if not ours or ours.keys() != theirs.keys():
        raise RuntimeError(f"the jobs answered different documents: {len(ours)} and {len(theirs)}")
    docs = sorted(ours)
    if isinstance(ours[docs[0]], str):
        return {"what": "hypotheses equal", "equal": sum(ours[d] == theirs[d] for d in docs), "of": len(docs)}

    def argmax(values: list[float]) -> int:
        return max(range(len(values)), key=values.__getitem__)

    return {
        "what": "predictions equal",
        "equal": sum(argmax(ours[d]) == argmax(theirs[d]) for d in docs),
        "of": len(docs),
        "max_abs_delta_loglikelihood": max(
            abs(a - b) for d in docs for a, b in zip(ours[d], theirs[d], strict=True)
        ),
    }


def machine(device: str) -> dict[str, Any]:
    import lm_eval
    import torch
    import transformers

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "transformers": transformers.__version__,
        "lm_eval": getattr(lm_eval, "__version__", "?"),
        "cpus": os.cpu_count(),
        "device": "CPU",
    }
    if device.startswith("cuda"):  # nvidia-smi, so this process takes no CUDA context of its own
        query = ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"]
        smi = subprocess.run(query, capture_output=True, text=True) if shutil.which("nvidia-smi") else None
        info["device"] = smi.stdout.strip().splitlines()[0] if smi and smi.returncode == 0 else "CUDA GPU"
    return info


def jobs_mode(args: argparse.Namespace) -> int:
    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(
            "bench/gpu.py: no CUDA device here; use --device cpu to check the script itself", file=sys.stderr
        )
        return 2
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    ckpt = make_checkpoint(args.pack, out / "checkpoint", args.dtype, args.tiny, args.seed)
    env, db = job_env(out), f"sqlite:///{out / 'harness.db'}"
    (out / "harness.db").unlink(missing_ok=True)
    # Untimed: the database migrated (as a user's already is) and the files read once from disk.
    warm = f"import torch, transformers, lm_eval.models.huggingface; torch.zeros(1, device={args.device!r})"
    run_job(harness_exe() + ["results", "--db", db], env, out / "warm-harness.log")
    run_job([sys.executable, "-c", warm], env, out / "warm-python.log")
    info = machine(args.device)
    model = "tiny test model" if args.tiny else "SmolLM2-135M architecture (random weights)"
    header = (
        f"{model}, {args.dtype}, {info['device']}, batch size {args.batch_size}; torch {info['torch']}, "
        f"transformers {info['transformers']}, lm-eval {info['lm_eval']}, Python {info['python']}; "
        f"whole jobs, process start to stored results, median of {args.repeat}"
    )
    print(header, flush=True)
    rows = []
    for task in args.tasks.split(","):
        common = ["--dtype", args.dtype, "--device", args.device, "--batch-size", str(args.batch_size)]
        common += ["--limit", str(args.limit)] if args.limit else []
        ours_cmd = harness_exe() + ["eval", "--model", str(ckpt), "--tasks", task, "--backend", "hf",
                                    "--no-cache", "--data-dir", str(args.pack / "data"), "--db", db,
                                    "--json"] + common  # fmt: skip
        worker_out = out / f"lm-eval-{task}.json"
        theirs_cmd = [sys.executable, __file__, "--lm-eval-worker", task, "--checkpoint", str(ckpt),
                      "--pack", str(args.pack), "--worker-out", str(worker_out)] + common  # fmt: skip
        seconds: dict[str, list[float]] = {"harness": [], "lm-eval": []}
        for round_ in range(args.repeat):  # alternate which goes first
            order = [("lm-eval", theirs_cmd), ("harness", ours_cmd)]
            for label, cmd in order if round_ % 2 == 0 else order[::-1]:
                secs, stdout = run_job(cmd, env, out / f"{label}-{task}.log")
                seconds[label].append(secs)
                if label == "harness":
                    ours_json = json.loads(stdout)
                print(f"  {task} {label}: {secs:.2f} s", flush=True)
        theirs, their_scores = lm_eval_answers(worker_out, task)
        ours = harness_answers(ours_json["run_id"], db, env)
        primary = ours_json["results"][0]["metric"]
        rows.append(
            {
                "task": task,
                "docs": len(ours),
                "harness_s": statistics.median(seconds["harness"]),
                "lm_eval_s": statistics.median(seconds["lm-eval"]),
                "seconds": seconds,
                "agreement": agreement(ours, theirs),
                "metric": primary,
                "harness_value": ours_json["results"][0]["value"],
                "lm_eval_value": their_scores.get(f"{primary},none"),
                "commands": {"harness": ours_cmd, "lm-eval": theirs_cmd},
            }
        )
    lines = [header, f"{'task':26}{'docs':>6}{'harness s':>11}{'lm-eval s':>11}{'ratio':>8}  agreement"]
    for r in rows:
        a = r["agreement"]
        extra = (
            f", max |dLL| {a['max_abs_delta_loglikelihood']:.1e}"
            if "max_abs_delta_loglikelihood" in a
            else ""
        )
        lines.append(
            f"{r['task']:26}{r['docs']:>6}{r['harness_s']:>11.2f}{r['lm_eval_s']:>11.2f}"
            f"{r['lm_eval_s'] / r['harness_s']:>7.2f}x  {a['equal']}/{a['of']} {a['what']}{extra}; "
            f"{r['metric']} {r['harness_value']:.4g} (lm-eval {r['lm_eval_value']:.4g})"
        )
    text = "\n".join(lines)
    print(text)
    (out / "jobs.txt").write_text(text + "\n", encoding="utf-8")
    settings = {k: str(v) for k, v in vars(args).items()}
    (out / "jobs.json").write_text(
        json.dumps({"machine": info, "settings": settings, "tasks": rows}, indent=1)
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["mcq", "jobs"], default="mcq")
    parser.add_argument("--docs", type=int, default=512, help="mcq: synthetic documents")
    parser.add_argument("--choices", type=int, default=4, help="mcq: choices per document")
    parser.add_argument("--context", type=int, default=400, help="mcq: mean context length in tokens")
    parser.add_argument("--batch-size", type=int, default=None, help="default 32 (mcq), 128 (jobs)")
    parser.add_argument(
        "--dtype", choices=["float32", "bfloat16"], default=None, help="float32 (mcq), bfloat16 (jobs)"
    )
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--pack", type=Path, default=PROJECT_ROOT / "build" / "gpu-pack", help="jobs: gpu_pack.py's"
    )
    parser.add_argument("--tasks", default=JOB_TASKS, help="jobs: comma-separated harness tasks")
    parser.add_argument("--limit", type=int, default=None, help="jobs: first N documents of each task")
    parser.add_argument("--repeat", type=int, default=1, help="jobs: runs of each job (median)")
    parser.add_argument("--tiny", action="store_true", help="jobs: the tests' tiny model (a CPU check)")
    parser.add_argument(
        "--out", type=Path, default=PROJECT_ROOT / "build" / "gpu-jobs", help="jobs: work folder"
    )
    parser.add_argument("--lm-eval-worker", metavar="TASK", help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    jobs = args.mode == "jobs" or args.lm_eval_worker
    args.batch_size = args.batch_size or (128 if jobs else 32)
    args.dtype = args.dtype or ("bfloat16" if jobs else "float32")
    if args.lm_eval_worker:
        return lm_eval_worker(args)
    return jobs_mode(args) if args.mode == "jobs" else mcq_mode(args)


if __name__ == "__main__":
    sys.exit(main())
