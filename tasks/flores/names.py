"""FLORES task and group names, for FLORES-200 (`flores_...`) and FLORES+ (`flores+_...`) alike.

- a direction: `<prefix>_<src>-<tgt>` in the data's codes (`flores_eng_Latn-lin_Latn`);
- `<prefix>_<iso>`: both directions with English for every script of an ISO 639-3 code
  (`flores_lin`; `flores_ace` covers `ace_Arab` and `ace_Latn`);
- `<prefix>_<iso>@<pivot-iso>`: both directions with any other pivot, every script pair of both
  codes (`flores_lin@fra`: `fra_Latn -> lin_Latn` and `lin_Latn -> fra_Latn`; `flores_kor@zho`:
  `kor_Hang` with `zho_Hans` and `zho_Hant`). 204 languages give 41,412 directions, so these groups
  are not listed: they resolve by name when asked for (`FloresGroups`);
- `<prefix>`: every English-centric direction.
"""

from collections.abc import Callable, Collection, Iterable

PIVOT = "eng_Latn"


def iso(code: str) -> str:
    """The ISO 639-3 part of a FLORES code (`lin` of `lin_Latn`, `apc` of `apc_Arab_nort3139`)."""
    return code.split("_", 1)[0]


def task_name(prefix: str, src: str, tgt: str) -> str:
    return f"{prefix}_{src}-{tgt}"


def parse_direction(prefix: str, name: str, codes: Collection[str]) -> tuple[str, str] | None:
    """(src, tgt) for `<prefix>_<src>-<tgt>` over two different codes of `codes`, else None."""
    if not name.startswith(prefix + "_") or "-" not in name:
        return None
    src, _, tgt = name.removeprefix(prefix + "_").partition("-")
    if src in codes and tgt in codes and src != tgt:
        return src, tgt
    return None


def pair_directions(prefix: str, codes: Iterable[str], pivots: Iterable[str]) -> list[str]:
    """Both directions between every code and every pivot code: pivot -> code ones first."""
    pairs = [(p, c) for p in pivots for c in codes if p != c]
    return [task_name(prefix, p, c) for p, c in pairs] + [task_name(prefix, c, p) for p, c in pairs]


def english_groups(prefix: str, codes: Iterable[str]) -> dict[str, list[str]]:
    """`<prefix>` (every English-centric direction) and `<prefix>_<iso>` per ISO 639-3 code."""
    others = [c for c in codes if c != PIVOT]
    out: dict[str, list[str]] = {prefix: pair_directions(prefix, others, [PIVOT])}
    for code in others:
        out.setdefault(f"{prefix}_{iso(code)}", []).extend(pair_directions(prefix, [code], [PIVOT]))
    return out


def pivot_group(prefix: str, name: str, codes: Collection[str]) -> list[str] | None:
    """The members of `<prefix>_<iso>@<pivot-iso>`: both directions between every code of `iso` and
    every code of `pivot-iso` in `codes`; None when `name` is not such a group or either code has no
    data (or both are the same language)."""
    if not name.startswith(prefix + "_") or name.count("@") != 1:
        return None
    language, _, pivot = name.removeprefix(prefix + "_").partition("@")
    if language == pivot:
        return None
    sides = [sorted(c for c in codes if iso(c) == want) for want in (language, pivot)]
    if not sides[0] or not sides[1]:
        return None
    return pair_directions(prefix, sides[0], sides[1])


def pivot_problem(prefix: str, name: str, codes: Collection[str], data: str) -> str | None:
    """Why `name`, written as a pivot group, is not one (for the error message); None otherwise."""
    if not name.startswith(prefix + "_") or "@" not in name or pivot_group(prefix, name, codes):
        return None
    language, _, pivot = name.removeprefix(prefix + "_").partition("@")
    missing = [c for c in (language, pivot) if c and not any(iso(k) == c for k in codes)]
    if "@" in pivot or not language or not pivot or language == pivot or not missing:
        return f"{name}: a pivot group is {prefix}_<iso>@<pivot-iso> with two different ISO 639-3 codes"
    return f"{name}: {data} has no language with ISO 639-3 code {missing[0]!r} (`harness tasks list`)"


class FloresGroups(dict[str, list[str]]):
    """The listed groups (English-centric), and every `<prefix>_<iso>@<pivot-iso>` group resolved
    by name on demand (`name in groups`, `groups[name]`) without being listed."""

    def __init__(self, listed: dict[str, list[str]], resolve: Callable[[str], list[str] | None]) -> None:
        super().__init__(listed)
        self._resolve = resolve
        prefix = min(listed, key=len) if listed else "flores"
        self.patterns = {
            f"{prefix}_<iso>@<pivot-iso>": f"both directions with any pivot, by name (e.g. {prefix}_lin@fra)"
        }
        """Groups resolved by name and not listed: pattern -> what it holds (for `harness tasks list`)."""

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or (isinstance(key, str) and self._resolve(key) is not None)

    def __missing__(self, key: str) -> list[str]:
        members = self._resolve(key)
        if members is None:
            raise KeyError(key)
        return members
