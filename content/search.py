"""Full-text search over notices: what goes into the FTS5 index and how a typed query reads.

The index (`notices_fts`, unicode61 with diacritics removed, `detail=none`) holds every language
of a title and a body. It keeps no token positions: queries are prefix words joined by AND, never
phrases, and dropping positions halves the cost of indexing a notice (bench/README.md).

People type "Gruengut" for "Grüngut" on keyboards without umlauts. Rather than indexing a
spelt-out copy of every umlaut word, a query word with "ae", "oe" or "ue" also matches its
umlaut form: the tokenizer folds "ü" to "u", so "Grüngut"* finds the stored "Grüngut".
"""

from __future__ import annotations

import itertools
import re

import msgspec

_SPELT = re.compile("ae|oe|ue|Ae|Oe|Ue")
_UMLAUT = {"ae": "ä", "oe": "ö", "ue": "ü", "Ae": "Ä", "Oe": "Ö", "Ue": "Ü"}
# A word with many "ue"s (Feuerwehrschlüssel…) would otherwise give 2^n variants.
MAX_SPELT_PAIRS = 3


_texts = msgspec.json.Decoder(dict[str, str])


def search_text(texts_json: str) -> str:
    """The indexed text of a title or body: every language, one per line."""
    texts = _texts.decode(texts_json)
    return "\n".join(texts[lang] for lang in sorted(texts))


def fts_query(text: str) -> str:
    """Turn what a person typed into an FTS5 query: every word must match, as a prefix."""
    words = "".join(c if c.isalnum() else " " for c in text).split()
    return " AND ".join(_term(word) for word in words) or '""'


def _term(word: str) -> str:
    variants = umlaut_variants(word)
    if len(variants) == 1:
        return f'"{word}"*'
    return "(" + " OR ".join(f'"{variant}"*' for variant in variants) + ")"


def umlaut_variants(word: str) -> list[str]:
    """The word as typed, plus each way its first few "ae"/"oe"/"ue" pairs may be umlauts."""
    pieces = _SPELT.split(word)
    pairs = _SPELT.findall(word)
    if not pairs:
        return [word]
    variants = []
    for choice in itertools.product((False, True), repeat=min(len(pairs), MAX_SPELT_PAIRS)):
        out = pieces[0]
        for index, (pair, piece) in enumerate(zip(pairs, pieces[1:], strict=True)):
            out += (_UMLAUT[pair] if index < len(choice) and choice[index] else pair) + piece
        variants.append(out)
    return variants
