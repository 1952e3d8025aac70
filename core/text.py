"""Stored strings (model, checkpoint, task, recipe, output) shown as data in every medium: a
terminal (control characters written out), Markdown (its syntax escaped). One rule for the CLI,
the reports and the app."""

import re

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""C0, DEL and C1 controls (ESC, BEL, CSI ... start terminal escape sequences) and the bidirectional
overrides and isolates, which reorder what a terminal shows."""
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

MARKDOWN_SPECIAL = frozenset("\\`*[]<>#|~$&")
"""Escaped everywhere; `_` too, except inside a word (`flores_eng_Latn`), where it is never emphasis."""
_INLINE = re.compile("[" + re.escape("".join(sorted(MARKDOWN_SPECIAL))) + "]|(?<![^\\W_])_|_(?![^\\W_])")
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")
_AUTOLINK = re.compile("(?i)www(?=[.])|@(?=[-\\w]+[.][-\\w])|:(?=[a-z/])")
_BLOCK_START = re.compile("^\\s*(?:\\d+(?=[.)](?:\\s|$))|(?=[-+](?:\\s|$)|>))")
"""A list item (`- `, `+ `, `1. `, `1) `) or a quote (`>`) at the start (`0.4.13` is neither)."""


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: object, multiline: bool = False) -> str:
    """`value` as text safe to show in a terminal: each control character (tab and newline too,
    unless `multiline`) written out as its escape (ESC as `\\x1b`), so it shows and never acts."""
    return (_CONTROL_MULTILINE if multiline else _CONTROL).sub(_visible, str(value))


def md_text(value: object) -> str:
    """A stored string as literal Markdown text (reports, `harness gate --format markdown`, the app's
    Markdown, captions, headings, table cells, widget labels): line breaks as spaces, other control
    characters as `printable` writes them, Markdown's inline syntax backslash-escaped (no link,
    image, emphasis, HTML, entity, table cell break, LaTeX or Streamlit's `:colour[...]`), a list or
    quote marker at the start escaped, and an invisible word joiner (U+2060) where GitHub-flavoured
    Markdown links plain text (`http://`, `www.`, `name@host.org`) or `:shortcode:` makes an icon,
    since those act after escapes are resolved."""
    text = printable(_LINE_BREAK.sub(" ", str(value)))
    text = _AUTOLINK.sub("\\g<0>\u2060", text)
    text = _INLINE.sub(r"\\\g<0>", text)
    return _BLOCK_START.sub("\\g<0>\\\\", text, count=1)
