"""CometKiwi: reference-free quality estimation of the MT tasks' outputs (Rei et al. 2022, WMT22 QE;
`Unbabel/wmt22-cometkiwi-da`), an unbabel-comet `UnifiedMetric` whose hparams.yaml declares
`input_segments: [mt, src]`: it reads the source and the output only, so it also scores outputs that
have no reference. Scored as `comet-score -s SRC -t HYP --model CKPT` (no `-r`) scores them
(`harness.scorers.comet_model`); the model is gated on the hub (the user's token), and
`--cometkiwi-model PATH` takes a local checkpoint.
"""

from typing import ClassVar

from harness.scorers.base import Written
from harness.scorers.comet import NeuralMetric, NeuralScorer

METRIC = "cometkiwi"
HUB_DEFAULT = "Unbabel/wmt22-cometkiwi-da"
NOTE = (
    "CometKiwi quality estimation, reference-free (source and output only); COMET's own scale (mean "
    "of segment scores as comet-score prints it, not x100)"
)


class CometKiwi(NeuralScorer):
    """Reference-free CometKiwi (`harness.scorers.base.Scorer`) of the MT tasks."""

    name = METRIC
    reads = ("output", "source")
    writes = (Written(METRIC, higher_is_better=True),)
    spec: ClassVar[NeuralMetric] = NeuralMetric(METRIC, NOTE, references=False)
    option = "cometkiwi_model"
    flag = "--cometkiwi-model"
    hub_default = HUB_DEFAULT
    model_class = ("unified_metric", "a CometKiwi (UnifiedMetric) checkpoint", False)
