"""Common English words, so that typo correction leaves real words alone.

Correcting towards the intents' vocabulary turned "looked" into "locked", "text" into
"test" and "male" into "make". A word that English uses often is almost certainly what
the person meant, even when it is one letter away from a word the intents know. The
list is pyspellchecker's English word frequencies (shipped in the package, nothing is
downloaded), cut at a count below which misspellings start to appear.
"""

from __future__ import annotations

from functools import lru_cache

# At 1,000 the list keeps about 19,000 words: "hand", "form", "rest" are in; misspellings
# such as "pasword", "acess" or "recieve" (0) and rare words such as "tine" (410) are out.
MIN_COUNT = 1_000


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    from spellchecker import SpellChecker  # loads a 650 kB word list: only when needed

    counts = SpellChecker(language="en", distance=1).word_frequency.dictionary
    return frozenset(word for word, count in counts.items() if count >= MIN_COUNT)
