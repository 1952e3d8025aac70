"""The flores200 SentencePiece model that spBLEU needs, found where sacrebleu looks and pinned by hash.

sacrebleu's `flores200` tokenizer downloads this file on first use; we never let it: the file
must already be in place and match the pinned SHA-256 (it is byte-identical to NLLB-200's
`sentencepiece.bpe.model`, 4,852,054 bytes). sacrebleu's signature does not hash the file,
so the SHA-256 of the file actually used is added to every spBLEU signature.
"""

from dataclasses import dataclass
from pathlib import Path

from core.errors import HarnessError
from core.hashing import sha256_file

FLORES200_SPM_SHA256 = "14bb8dfb35c0ffdea7bc01e56cea38b9e3d5efcdcb9c251d6b40538e1aab555a"
FLORES200_SPM_URL = "https://tinyurl.com/flores200sacrebleuspm"
DATA_NAME = "flores200-spm"
"""`harness data fetch flores200-spm` places the model where sacrebleu reads it."""


@dataclass(frozen=True)
class SpmStatus:
    """Whether spBLEU can be computed, and where its model is or must be put."""

    path: Path
    """Where sacrebleu reads the model: `$SACREBLEU/models/flores200sacrebleuspm`."""
    available: bool
    """True when the file exists and its SHA-256 matches the pin."""
    sha256: str | None
    """SHA-256 of the file found, None when absent."""

    def missing_note(self) -> str:
        """Stored with results and shared in reports: names where sacrebleu looks, not this machine's
        folders (`$SACREBLEU`, by default ~/.sacrebleu)."""
        return (
            f"not computed: flores200 SentencePiece model absent; run `harness data fetch {DATA_NAME}`, or "
            "place it at $SACREBLEU/models/flores200sacrebleuspm "
            f"(sha256 {FLORES200_SPM_SHA256}, from {FLORES200_SPM_URL})"
        )


def spm_model_path() -> Path:
    """The path sacrebleu's flores200 tokenizer loads (and would otherwise download to)."""
    from sacrebleu.tokenizers import tokenizer_spm

    return Path(tokenizer_spm.SACREBLEU_DIR) / "models" / "flores200sacrebleuspm"


def spm_status() -> SpmStatus:
    """Find the model; a file with the wrong hash is an error, never silently used or replaced."""
    expected_sha256 = FLORES200_SPM_SHA256
    path = spm_model_path()
    if not path.is_file():
        return SpmStatus(path=path, available=False, sha256=None)
    found = sha256_file(path)
    if found != expected_sha256:
        raise HarnessError(
            f"{path}: SHA-256 {found} does not match the pinned flores200 SentencePiece model "
            f"{expected_sha256}; replace the file or remove it (spBLEU is then reported as not computed)"
        )
    return SpmStatus(path=path, available=True, sha256=found)
