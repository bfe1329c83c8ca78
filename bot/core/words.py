"""The words the matcher treats specially, and the small stemmer it compares them with.

Kept apart from the matcher: the lists are edited far more often than the scoring, and
they are read by people tuning what counts as a topic word.
"""

from __future__ import annotations

# Function words: known to carry little meaning, whatever the corpus says.
STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be been before being
    but by can could did do does doing done for from get got had has have having he her
    here hers him his how i if im in into is it its ive just me might more most much must
    my myself need no nor not now of off on once only or other our out over own please
    really same she should so some such than that the their them then there these they
    this those through to too under until up us very was we were what whats when where
    which while who why will with would you your yours sorry ok okay yes yeah anyway
    actually basically still one ill id dont cant wont isnt youre thats theres""".split()
)

# Everyday words that are not in the knowledge but say nothing about the topic either.
# Not here: words that tell questions apart ("how long", "what happens if", "why
# bother", "can't remember").
# They always weigh little, and unknown ones do not count against a match the way
# unknown topic words do ("facebook password" is not ours),
# so that chit-chat around a real question ("honestly no idea, a bit stressed") is
# harmless.
FILLER = frozenset(
    """able absolutely afraid ago along already always annoying appreciate around away blah
    back bad best better bit both busy clue come coming confused could day days dear do
    doing dont else even ever every everyone everything exactly far feel few find
    finally fine first forward found friday genuinely give given go goes going gone
    good great guess guys hate having hear heard help helpful honestly hope hopefully
    idea im just keep keeps kind know last later least left let life like little look
    looking lot lots love lovely make making many maybe mean meant meeting message
    might mind minute moment monday morning much nearly never nice night nobody normally
    nothing generally typically commonly mainly mostly
    now often old once people perhaps place please possible pretty probably problem
    question quick quickly quite random rather read ready real reason right said same
    saw say saying says see seem seems seen silly since sort soon start started stuck
    stupid stuff sure tell telling thing thingy thingie things think thought time times
    today told tomorrow whatsit
    tried try trying understand unfortunately used usual usually wanted wants way week
    weeks weird well went whole wondering word work worked worried worry yesterday yet""".split()
)
# Texting shorthand too short for typo correction to reach.
SHORTHAND_WEIGHT = 0.3


def _with_stems(words: frozenset[str]) -> frozenset[str]:
    """Terms are compared stemmed ("having" -> "hav"), so the lists must hold stems too."""
    return words | {stem(w) for w in words}


def stem(word: str) -> str:
    """A deliberately small stemmer: plurals and -ing/-ed, enough for 'locked'/'lock'."""
    if len(word) <= 4 or not word.isalpha():
        return word
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) >= 3 and word[-1] == word[-2] and word[-1] not in "ls":
                word = word[:-1]  # "setting" -> "sett" -> "set"
            return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


STEMMED_STOPWORDS = _with_stems(STOPWORDS)
STEMMED_FILLER = _with_stems(FILLER)
