"""The moves in a reply to an upset customer, recognised in our own code.

Helpful moves, from the de-escalation pattern the bot and the agent suggestions follow:
acknowledge the feeling, apologise, repeat the problem back, offer options, close with a
question. Moves that inflame: telling the customer to calm down, blaming them, and putting
policy before help. ``read_reply`` names the moves in one reply; the per-agent measure counts
them over real replies and the role-play trainer scores a practice reply with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HELPFUL = ("acknowledge", "apologise", "repeat_back", "offer_options", "close_question")
INFLAMING = ("calm_down", "blame", "policy_first")

LABELS = {
    "acknowledge": "acknowledged how they feel",
    "apologise": "apologised",
    "repeat_back": "repeated their problem back",
    "offer_options": "offered options",
    "close_question": "closed with a question",
    "calm_down": "told them to calm down",
    "blame": "blamed the customer",
    "policy_first": "put policy before help",
}


def _any(*patterns: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")", re.IGNORECASE)


# "You must have been so worried" names their feeling; "you must have entered it wrong" is blame.
MUST_HAVE_FELT = (r"you must (?:have been|have felt|be|feel) (?:so |really |very )?(?:worried|upset|frustrated|annoyed|"
                  r"disappointed|stressed|anxious|fed up)")
PATTERNS = {
    "acknowledge": _any(
        r"i (?:completely |totally |really )?(?:understand|get (?:it|that|why))", r"i can (?:imagine|understand)",
        # "I can see why / how frustrating...", not "I can see your order was shipped".
        r"i can (?:see|tell) (?:that )?(?:why|how (?:upset|frustrat|annoy|worr|confus|stressful|hard|difficult|much|"
        r"(?:that|this|it) (?:would|must|might|could) (?:be|feel))|"
        r"(?:you(?:'re| are)|this (?:is|has been)|it(?:'s| has been)) (?:so |really |very )?(?:an? )?(?:real |total |"
        r"absolute )?(?:upset|frustrat|annoy|angry|worr|confus|disappoint|stressful|hard|difficult|hassle|pain|"
        r"nightmare|ordeal|headache))", MUST_HAVE_FELT,
        r"i hear you", r"that (?:sounds|must (?:be|have been))", r"(?:it'?s|that'?s) (?:completely |totally )?"
        r"(?:understandable|fair|frustrating|annoying|not (?:ok|okay|right|good enough|acceptable))",
        r"you(?:'re| are) right", r"no wonder", r"i know how", r"you have every (?:reason|right)",
        r"i'?d (?:be|feel) (?:the same|upset|frustrated|annoyed)"),
    "apologise": _any(r"(?:i'?m|i am|we'?re|we are|so|really|truly) sorry", r"sorry (?:for|about|that)",
                      r"(?:my|our) apologies", r"i apologi[sz]e", r"we apologi[sz]e", r"^sorry\b"),
    "offer_options": _any(
        r"(?:you|we) (?:can|could) either", r"either .{3,80}? or ", r"would you (?:prefer|rather|like me to|like us to)",
        r"(?:two|three|a few|some|your) options", r"(?:one|another) option", r"i can (?:offer|arrange|send|refund|"
        r"replace|escalate|call|book|issue)", r"which (?:would|do) you", r"if you'?d prefer", r"alternatively"),
    "calm_down": _any(r"calm down", r"relax\b", r"settle down", r"no need to (?:shout|yell|be rude|get (?:upset|angry))",
                      r"(?:stop|quit) (?:shouting|yelling|being)", r"lower your voice", r"take a deep breath"),
    "blame": _any(
        r"you should(?:'ve| have)", r"you (?:didn'?t|did not|failed to|forgot to|never) (?:read|check|follow|enter|"
        r"tell|provide|click|say|update)", r"(?:it'?s|that'?s|this is) (?:your|not our|not my) (?:fault|problem)",
        r"as i (?:already |just )?(?:said|told you|explained)", r"if you had (?:read|checked|followed)",
        r"you must have (?!been\b|felt\b)", r"user error", r"you need to read"),
}
POLICY = _any(r"(?:our|the|company|store) polic(?:y|ies)", r"(?:it'?s|that'?s|this is) (?:against|not in line with)",
              r"unfortunately,? (?:we|i) (?:can'?t|cannot|are unable|am unable|don'?t|do not)",
              r"there'?s nothing (?:i|we) can do", r"(?:we|i) (?:can'?t|cannot) make (?:an )?exceptions?",
              r"rules are rules", r"not (?:allowed|permitted) to")
HELP = re.compile("|".join(p.pattern for p in (PATTERNS["offer_options"], PATTERNS["apologise"],
                                               PATTERNS["acknowledge"])) + r"|\bi(?:'ll| will) (?:fix|sort|check|look)",
                  re.IGNORECASE)
REPEAT_PHRASES = _any(r"so (?:you|your|the|it sounds)", r"if i understand", r"just to (?:confirm|check|make sure)",
                      r"let me make sure", r"you(?:'ve| have) (?:been|had|waited)", r"you said", r"you mentioned")
ORDER_NUMBER = re.compile(r"(?:#|\bBN-?)?\b\d{4,}\b", re.IGNORECASE)
WORD = re.compile(r"[a-z][a-z']{3,}")
COMMON = frozenset("""
this that with have been they them then than there their what when where which your yours about would could
should will just like want need know think make made very really much more some here from into only also
still even back over again please thanks thank hello order help sorry today call email time does doesn't
didn't don't can't won't it's i'm you're that's there's
""".split())


@dataclass(frozen=True)
class Reading:
    """The moves found in one reply."""

    helpful: tuple[str, ...] = ()
    inflaming: tuple[str, ...] = ()
    details: dict = field(default_factory=dict)

    @property
    def moves(self) -> tuple[str, ...]:
        return self.helpful + self.inflaming


def content_words(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if w not in COMMON}


def repeats_back(reply: str, customer_text: str) -> bool:
    """The reply names the customer's own detail: their order number, or two of their words
    after a phrase that restates ("so your parcel...", "just to confirm...")."""
    if not customer_text:
        return False
    theirs = {n.lstrip("#").upper() for n in ORDER_NUMBER.findall(customer_text)}
    if theirs and theirs & {n.lstrip("#").upper() for n in ORDER_NUMBER.findall(reply)}:
        return True
    shared = content_words(reply) & content_words(customer_text)
    return len(shared) >= 3 or (len(shared) >= 2 and bool(REPEAT_PHRASES.search(reply)))


def closes_with_question(reply: str) -> bool:
    return reply.rstrip().rstrip(")\"'").endswith("?")


def policy_first(reply: str) -> bool:
    """Policy before help: a policy refusal that comes before any apology, acknowledgement or offer."""
    policy = POLICY.search(reply)
    if policy is None:
        return False
    helped = HELP.search(reply)
    return helped is None or helped.start() > policy.start()


def read_reply(reply: str, customer_text: str = "") -> Reading:
    """Name the moves in ``reply`` to a customer who last wrote ``customer_text``."""
    text = " ".join((reply or "").split())
    found = {name: bool(p.search(text)) for name, p in PATTERNS.items()}
    found["repeat_back"] = repeats_back(text, customer_text or "")
    found["close_question"] = closes_with_question(text)
    found["policy_first"] = policy_first(text)
    return Reading(helpful=tuple(m for m in HELPFUL if found[m]), inflaming=tuple(m for m in INFLAMING if found[m]))
