"""Turn what people type into the tokens the matcher compares.

Staff type on phones, in a hurry: capitals, accents, smart quotes, pasted zero-width
characters, US spellings and abbreviations all have to land on the same words the
intents use. Typo correction against the known vocabulary lives in the matcher, which
owns that vocabulary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

# Zero-width, bidirectional-override and other format characters (Unicode category Cf)
# carry no meaning for matching and are a classic way to disguise text.
_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`´]")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces; nothing else survives."""
    if text.isascii():
        # Most messages: no accents or format characters to drop, and every control or
        # space character ends up a space below anyway. Several times faster.
        return _NON_WORD.sub(" ", _APOSTROPHES.sub("", text.lower())).strip()
    return fold_any(text)


def fold_any(text: str) -> str:
    """``fold`` for any text, one character at a time."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = []
    for ch in decomposed:
        category = unicodedata.category(ch)
        if category == "Mn" or category == "Cf":
            continue  # accents and invisible format characters
        kept.append(" " if category[0] in "CZ" else ch)
    plain = "".join(kept).casefold()
    plain = _APOSTROPHES.sub("", plain)  # "what's" -> "whats", "can't" -> "cant"
    return _NON_WORD.sub(" ", plain).strip()


class Normaliser:
    """Folds text and rewrites variants (synonyms, spellings) to canonical words.

    ``variants`` maps a canonical word to the words or phrases people type for it;
    phrases are matched on whole tokens, longest first.
    """

    def __init__(
        self,
        variants: Mapping[str, Iterable[str]] | None = None,
        spellings: Mapping[str, str] | None = None,
    ) -> None:
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for canonical, forms in (variants or {}).items():
            target = tuple(fold(canonical).split())
            for form in forms:
                key = tuple(fold(form).split())
                if key and key != target:
                    self._phrases[key] = target
        for variant, british in (spellings or {}).items():
            key, target = tuple(fold(variant).split()), tuple(fold(british).split())
            if key and key != target:
                self._phrases[key] = target
        self._longest = max((len(k) for k in self._phrases), default=0)
        self._starts = {k[0] for k in self._phrases}

    @property
    def variant_words(self) -> set[str]:
        """Every single word that appears in a variant; typo correction may aim at these."""
        return {word for key in self._phrases for word in key}

    @property
    def canonical_words(self) -> set[str]:
        """Every word a variant is rewritten to."""
        return {word for target in self._phrases.values() for word in target}

    def tokens(self, text: str) -> list[str]:
        """Fold, split and rewrite variants."""
        return self.rewrite(fold(text).split())

    def rewrite(self, tokens: list[str]) -> list[str]:
        if not self._phrases or self._starts.isdisjoint(tokens):
            return tokens  # most sentences: no variant starts here, and a set says so at once
        out: list[str] = []
        i, n = 0, len(tokens)
        while i < n:
            if tokens[i] in self._starts:
                for size in range(min(self._longest, n - i), 0, -1):
                    target = self._phrases.get(tuple(tokens[i : i + size]))
                    if target is not None:
                        out.extend(target)
                        i += size
                        break
                else:
                    out.append(tokens[i])
                    i += 1
            else:
                out.append(tokens[i])
                i += 1
        return out
