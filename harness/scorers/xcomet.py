"""xCOMET: an explainable COMET of the MT tasks (Guerreiro et al. 2024; `Unbabel/XCOMET-XL`), an
unbabel-comet `XCOMETMetric` that gives each segment a score and its error spans (the
`metadata.error_spans` of its prediction: text, start, end, severity minor/major/critical,
confidence). Scored as `comet-score -s SRC -t HYP -r REF --model CKPT` scores them
(`harness.scorers.comet_model`). Each sample stores its score under `xcomet` and its spans under
`xcomet_error_spans` (a list, empty when none was found); the app's Run page shows them. The model is
gated on the hub (the user's token), and `--xcomet-model PATH` takes a local checkpoint.
"""

from typing import ClassVar

from harness.scorers.base import Written
from harness.scorers.comet import NeuralMetric, NeuralScorer

METRIC = "xcomet"
SPANS = "xcomet_error_spans"
"""The sample field holding each segment's error spans."""
HUB_DEFAULT = "Unbabel/XCOMET-XL"
NOTE = (
    "xCOMET, with the reference; its own scale (mean of segment scores as comet-score prints it, not "
    f"x100); error spans per sample ({SPANS})"
)


class XComet(NeuralScorer):
    """xCOMET (`harness.scorers.base.Scorer`) of the MT tasks: scores and error spans."""

    name = METRIC
    reads = ("output", "target", "source")
    writes = (Written(METRIC, higher_is_better=True),)
    spec: ClassVar[NeuralMetric] = NeuralMetric(METRIC, NOTE, references=True, spans_field=SPANS)
    option = "xcomet_model"
    flag = "--xcomet-model"
    hub_default = HUB_DEFAULT
    model_class = ("xcomet_metric", "an xCOMET (XCOMETMetric) checkpoint", None)
