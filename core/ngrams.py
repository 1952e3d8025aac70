"""N-gram keys for contamination checks, normalised as lm-eval's decontamination.

lm-eval (`lm_eval/decontamination/janitor.py`: `Janitor.normalize_string`, `word_ngrams`)
lowercases ASCII letters (only those), deletes ASCII punctuation (`string.punctuation`), splits
on whitespace and joins each run of n words with one space. `word_ngrams` is that definition.

Scripts written without spaces between words give almost no word 13-grams (FLORES-200 devtest:
97-100% of the Chinese, Japanese, Thai, Lao, Khmer and Tibetan sentences have fewer than 13
words, 72-76% of the Burmese and Shan ones). For them `char_ngrams` takes windows of characters
over the text's characters in one group of those scripts (everything else, spaces, digits and
punctuation included, dropped first). A window is as long as n words of English are in that
group, rounded up: FLORES-200 dev holds 1.6 (Chinese) to 2.4 (Japanese)
Han/kana characters and 5.2 (Lao) to 7.6 (Shan) Brahmic characters per English word, so 13
words become 20 Han/kana or 52 Brahmic characters. At those lengths no FLORES-200 devtest
sentence of these 11 languages shares a window with dev, while 90-100% of them have one.

Keys never collide: a word n-gram (n >= 2) holds spaces, a character n-gram none, and the two
character groups share no character.
"""

import math
import re
import string
from collections import deque
from collections.abc import Iterator

_TABLE = str.maketrans(
    string.ascii_lowercase + string.ascii_uppercase, string.ascii_lowercase * 2, string.punctuation
)

CHAR_GROUPS: dict[str, tuple[float, tuple[tuple[int, int], ...]]] = {
    "han_kana": (
        1.5,
        (
            (0x3040, 0x309F),  # Hiragana
            (0x30A0, 0x30FF),  # Katakana
            (0x31F0, 0x31FF),  # Katakana phonetic extensions
            (0x3400, 0x4DBF),  # Han extension A
            (0x4E00, 0x9FFF),  # Han
            (0xF900, 0xFAFF),  # Han compatibility ideographs
            (0xFF66, 0xFF9F),  # halfwidth Katakana
            (0x20000, 0x3134F),  # Han extensions B-G
        ),
    ),
    "brahmic": (
        4.0,
        (
            (0x0E00, 0x0E7F),  # Thai
            (0x0E80, 0x0EFF),  # Lao
            (0x0F00, 0x0FFF),  # Tibetan
            (0x1000, 0x109F),  # Myanmar (Burmese, Shan)
            (0x1780, 0x17FF),  # Khmer
            (0x19E0, 0x19FF),  # Khmer symbols
            (0xA9E0, 0xA9FF),  # Myanmar extended B
            (0xAA60, 0xAA7F),  # Myanmar extended A
        ),
    ),
}
"""Scripts without spaces between words: group -> (characters per word, Unicode ranges)."""

_GROUP_RUNS: dict[str, re.Pattern[str]] = {
    group: re.compile("[" + "".join(f"{chr(first)}-{chr(last)}" for first, last in ranges) + "]+")
    for group, (_, ranges) in CHAR_GROUPS.items()
}


def normalize(text: str) -> str:
    """lm-eval's `Janitor.normalize_string`: ASCII letters lowercased, ASCII punctuation deleted."""
    return text.translate(_TABLE)


def word_ngrams(text: str, n: int) -> Iterator[str]:
    """Every run of n whitespace-separated words of the normalised text, joined by one space."""
    words = normalize(text).split()
    for start in range(len(words) - n + 1):
        yield " ".join(words[start : start + n])


def char_lengths(n: int) -> dict[str, int]:
    """The character window of each script group that stands for n words."""
    return {group: max(n, math.ceil(n * scale)) for group, (scale, _) in CHAR_GROUPS.items()}


def group_chars(text: str) -> dict[str, str]:
    """The text's characters of each script group, in order (groups with none left out)."""
    if text.isascii():
        return {}
    out = {group: "".join(runs.findall(text)) for group, runs in _GROUP_RUNS.items()}
    return {group: chars for group, chars in out.items() if chars}


def char_ngrams(text: str, n: int) -> Iterator[str]:
    """Every window of `char_lengths(n)[group]` characters of each group's characters."""
    lengths = char_lengths(n)
    for group, chars in group_chars(text).items():
        size = lengths[group]
        for start in range(len(chars) - size + 1):
            yield chars[start : start + size]


def ngrams(text: str, n: int) -> set[str]:
    """The word n-grams and the character n-grams of one text."""
    return set(word_ngrams(text, n)) | set(char_ngrams(text, n))


class NgramStream:
    """The n-grams of a long text fed in pieces (lines of a file): the same keys `ngrams` gives for
    the pieces joined by newlines, windows running across pieces until `end_document`."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.lengths = char_lengths(n)
        self._words: deque[str] = deque(maxlen=n)
        self._tails: dict[str, str] = {}

    def feed(self, piece: str) -> Iterator[str]:
        """The keys whose window ends inside `piece`."""
        for word in normalize(piece).split():
            self._words.append(word)
            if len(self._words) == self.n:
                yield " ".join(self._words)
        for group, new in group_chars(piece).items():
            size = self.lengths[group]
            chars = self._tails.get(group, "") + new
            for start in range(len(chars) - size + 1):
                yield chars[start : start + size]
            self._tails[group] = chars[len(chars) - size + 1 :] if len(chars) >= size else chars

    def end_document(self) -> None:
        """No window crosses this point."""
        self._words.clear()
        self._tails.clear()
