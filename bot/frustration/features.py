"""Turn one customer message (and the customer's earlier messages) into features.

Two kinds of output:

- numbers the logistic model weighs (``FEATURE_NAMES``), learnt from labelled data;
- customer-service cues (``CUE_SIGNALS``) that labelled Reddit and Twitter text cannot
  teach, whose weights are set by hand in calibrate.py.

Everything is precompiled regexes, set look-ups and one pass over the tokens, so a
message costs about a hundred microseconds. The word lists live in lexicon.py, the
cue patterns in cues.py.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from . import cues
from . import lexicon as lx

FEATURE_NAMES: tuple[str, ...] = (
    "negative_sentiment",
    "positive_sentiment",
    "intensifier",
    "negation",
    "anger_words",
    "disappointment_words",
    "disapproval_words",
    "sadness_fear_words",
    "question",
    "shouting",
    "exclamation",
    "repeated_punctuation",
    "profanity",
    "insult",
)
CUE_SIGNALS: tuple[str, ...] = (
    "sarcasm",
    "demands_human",
    "threat_to_cancel",
    "threat_public_complaint",
    "repeated_complaint",
    "unresolved_problem",
    "not_understood",
)

HISTORY_LIMIT = 10  # earlier messages compared for repetition; older ones are stale


_EMOJI = "[\U0001f300-\U0001faff\u2600-\u27bf]\ufe0f?"
_TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*|[.,;:!?]+|[:;=][-']?[()\[\]DPp/|\\]|" + _EMOJI)
_PLACEHOLDER = re.compile(r"\[[A-Z]+\]")  # [NAME] in the Reddit data is not shouting
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_SPACES = re.compile(r"\s+")
_REPEATED_PUNCT = re.compile(r"[!?]{2,}|[!?](?:\s[!?])+")
_CONTENT_WORD = re.compile(r"[a-z]*\d[\w-]*|[a-z]{3,}")
_SARCASM_MIN_NEGATIVE = 1.5
_POLITE = re.compile(r"\b(?:please|pls|plz|thanks|thank you|thx|cheers|could you|would you|kindly)\b")
# Asking for something: "how do I claim?", "could you send a new one", "can I return it".
_REQUEST = re.compile(
    r"\?|\b(?:can|could|would|will) (?:you|i|we|u|someone)\b|\bhow (?:do|can|should|would) (?:i|we)\b|"
    r"\b(?:please|pls|plz)\b|\b(?:is|are) (?:it|there|they|this|that) (?:possible|covered|under)\b|"
    r"\bi(?:'d| would) like\b|\bwhat (?:do|should|happens|now|next)\b"
)  # a frame needs a clearly negative word or a complaint beside it

_BOUNDARY = frozenset(".,;:!?")
_SENTENCE_END = frozenset(".!?")
_PHRASE_STARTS = frozenset(key[0] for key in lx.PHRASE_VALENCE)


@dataclass(slots=True)
class MessageFeatures:
    """What the model sees: numbers in ``FEATURE_NAMES`` order, the cue names, the abuse flag."""

    values: tuple[float, ...]
    signals: list[str]
    abuse: bool
    request: bool = False  # asks for something and shows no anger or disappointment words
    polite: bool = False  # says please, thank you, could you or would you


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, single spaces: the form the cue patterns expect."""
    return _SPACES.sub(" ", text.translate(_APOSTROPHES).lower()).strip()


def _sentiment(tokens: list[str], all_caps: bool) -> tuple[float, float, int]:
    """Sum negative and positive valence with negation, boosters, capitals and "but".

    Returns (negative mass, positive mass, negative words that a booster strengthened).
    A negated word flips sign and loses some strength ("not bad" is mildly good, "not
    happy" is clearly bad); the clause after "but" counts more than the one before.
    """
    valences = lx.sentiment_valences()
    lowered = [t.lower() for t in tokens]
    negative = positive = 0.0
    sentence_neg = sentence_pos = 0.0
    after_but = 1.0
    boosted = 0
    start = 0  # index of the first token of the current clause
    i, n = 0, len(tokens)
    while i < n:
        word = lowered[i]
        if word[0] in _BOUNDARY and word[-1] in _BOUNDARY:  # punctuation, not an emoticon
            if word[-1] in _SENTENCE_END:
                negative += sentence_neg
                positive += sentence_pos
                sentence_neg = sentence_pos = 0.0
                after_but = 1.0
            start = i + 1
            i += 1
            continue
        if word == "but":
            sentence_neg *= 0.5
            sentence_pos *= 0.5
            after_but = 1.5
            i += 1
            continue
        span = 1
        value = None
        if word in _PHRASE_STARTS:
            for length in (3, 2):
                value = lx.PHRASE_VALENCE.get(tuple(lowered[i : i + length]))
                if value is not None:
                    span = length
                    break
        if value is None:
            value = valences.get(word)
        if not value:
            i += span
            continue
        scale = after_but
        if not all_caps and len(tokens[i]) > 1 and tokens[i].isupper():
            scale *= lx.CAPS_FACTOR
        is_boosted = False
        for back in (1, 2, 3):
            j = i - back
            if j < start:
                break
            previous = lowered[j]
            if previous in lx.NEGATORS or previous.endswith("n't"):
                scale *= lx.NEGATION_FACTOR
                break
            if back < 3 and previous in lx.BOOSTERS:
                scale *= lx.BOOST_FACTOR if back == 1 else (1 + lx.BOOST_FACTOR) / 2
                is_boosted = True
            elif back == 1 and previous in lx.DAMPENERS:
                scale *= lx.DAMPEN_FACTOR
        value *= scale
        if value < 0:
            sentence_neg -= value
            boosted += is_boosted
        else:
            sentence_pos += value
        i += span
    return negative + sentence_neg, positive + sentence_pos, boosted


_FAMILIES = (lx.ANGER_WORDS, lx.DISAPPOINTMENT_WORDS, lx.DISAPPROVAL_WORDS, lx.SADNESS_FEAR_WORDS)


def _families(lowered: list[str]) -> tuple[int, list[int]]:
    """Negators, and words of each emotion family that no negator just before cancels."""
    negations = 0
    counts = [0, 0, 0, 0]
    previous = previous2 = ""
    for word in lowered:
        if word in lx.NEGATORS or word.endswith("n't"):
            negations += 1
        else:
            negated = previous in lx.NEGATORS or previous2 in lx.NEGATORS or previous.endswith("n't")
            if not negated:
                for index, family in enumerate(_FAMILIES):
                    if word in family:
                        counts[index] += 1
        previous2, previous = previous, word
    return negations, counts


def _shouting(tokens: list[str]) -> tuple[float, int, int]:
    """Share of words in capitals (acronyms and order codes excluded), their count, the long ones."""
    words = caps = long_caps = 0
    for token in tokens:
        if len(token) < 2 or not token[0].isalpha():
            continue
        words += 1
        if len(token) >= 3 and token.isupper() and token not in lx.ACRONYMS:
            caps += 1
            long_caps += len(token) >= 4
    return (caps / words if words else 0.0), caps, long_caps


def _profanity(lowered: list[str], norm: str) -> float:
    strong = mild = 0
    for word in lowered:
        if word in lx.PROFANITY_STRONG or word.startswith("fuck") or "shit" in word:
            strong += 1
        elif word in lx.PROFANITY_MILD:
            mild += 1
    masked = cues.masked_swearing(norm)
    return min(strong + masked + 0.5 * mild, 3.0)


def content_words(text: str) -> dict[str, int]:
    """Topic words of a message with weights: an order or ticket number weighs double."""
    words: dict[str, int] = {}
    for word in _CONTENT_WORD.findall(normalise(text)):
        if word in lx.STOPWORDS:
            continue
        if word.isalpha():
            if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
                word = word[:-1]
            words[word] = 1
        else:
            words[word] = 2
    return words


def repeats_earlier(text: str, history: list[str] | None) -> bool:
    """True when the message says again what an earlier message said.

    Exact repeats count whenever they carry a topic word; otherwise the weighted
    Jaccard overlap of topic words must reach one half with at least two shared, so a
    follow-up that merely stays on topic ("change my address" -> "the new address is
    ...") is not taken for a repeat.
    """
    if not history:
        return False
    current = content_words(text)
    if not current:
        return False
    plain = normalise(text).rstrip(" .!?")
    for earlier in history[-HISTORY_LIMIT:]:
        if not isinstance(earlier, str) or not earlier:
            continue
        if normalise(earlier).rstrip(" .!?") == plain:
            return True
        previous = content_words(earlier)
        shared = sum(weight for word, weight in current.items() if word in previous)
        if shared < 2:
            continue
        union = sum(current.values()) + sum(previous.values()) - shared
        if shared / union >= 0.5:
            return True
    return False


def _complains(text: str) -> bool:
    """True when an earlier message was a complaint: a cue of one, or clearly negative words."""
    norm = normalise(text)
    if {"unresolved_problem", "repeated_complaint"} & set(cues.find_cues(norm)):
        return True
    tokens = _TOKEN.findall(text.translate(_APOSTROPHES))
    return _sentiment(tokens, False)[0] >= _SARCASM_MIN_NEGATIVE


def extract(text: str, history: list[str] | None = None) -> MessageFeatures:
    """Features of one message; ``history`` holds the customer's earlier messages, oldest first."""
    tokens = _TOKEN.findall(_PLACEHOLDER.sub(" ", text.translate(_APOSTROPHES)))
    norm = normalise(text)
    lowered = [t.lower() for t in tokens]
    caps_share, caps_words, long_caps = _shouting(tokens)
    all_caps = caps_share > 0.6 and caps_words >= 2
    negative, positive, boosted = _sentiment(tokens, all_caps)

    found = cues.find_cues(norm)
    if "repeated_complaint" not in found and repeats_earlier(text, history):
        found.append("repeated_complaint")
    complaining = negative >= _SARCASM_MIN_NEGATIVE or "unresolved_problem" in found or "repeated_complaint" in found
    sarcastic = cues.is_sarcastic(norm, complaining)
    if not sarcastic and history and cues.is_sarcastic(norm, True) and not cues.RESOLVED.search(norm):
        # "great, thanks so much" right after a complaint that nothing has fixed
        sarcastic = _complains(history[-1])
    if sarcastic:
        positive = 0.0  # the praise is the complaint

    signals: list[str] = []
    if negative >= 1.0:
        signals.append("negative_sentiment")
    if boosted:
        signals.append("intensifier")
    if long_caps or caps_words >= 2 or caps_share >= 0.3:  # one stressed word ("the THIRD time") is enough
        signals.append("shouting")
    negations, families = _families(lowered)
    exclamations = text.count("!")
    repeated_punct = len(_REPEATED_PUNCT.findall(text))
    if repeated_punct:
        signals.append("repeated_punctuation")
    profanity = _profanity(lowered, norm)
    if profanity:
        signals.append("profanity")
    abuse = bool(cues.ABUSE.search(norm))
    insult = abuse or bool(cues.INSULT.search(norm))
    if insult:
        signals.append("insult")
    if sarcastic:
        signals.append("sarcasm")
    signals.extend(found)

    values = (
        math.log1p(negative),
        math.log1p(positive),
        float(min(boosted, 3)),
        float(min(negations, 3)),
        float(min(families[0], 3)),
        float(min(families[1], 3)),
        float(min(families[2], 3)),
        float(min(families[3], 3)),
        1.0 if "?" in text else 0.0,
        caps_share,
        float(min(exclamations, 3)),
        float(min(repeated_punct, 3)),
        profanity,
        1.0 if insult else 0.0,
    )
    request = bool(_REQUEST.search(norm)) and not families[0] and not families[1]
    polite = request and bool(_POLITE.search(norm))
    return MessageFeatures(values=values, signals=signals, abuse=abuse, request=request, polite=polite)
