"""Word lists and phrase patterns behind the frustration features.

The general sentiment valences come from the VADER lexicon that the vaderSentiment
package ships (MIT licence); everything else here is ours and written for customer
service: a few valence corrections where support language misleads a general lexicon,
and the cue patterns that a Reddit or Twitter corpus would never teach a model
(threats to leave, demands for a person, "this is the third time").

Patterns are kept as source strings next to the words they use so that a reader can
audit them in one place; features.py compiles them once.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path


class LexiconUnavailable(RuntimeError):
    """The vaderSentiment package (which carries the sentiment lexicon) is not installed."""


# --- sentiment -------------------------------------------------------------------------

# Words whose general-purpose valence is wrong in a support conversation. "Cancel",
# "charge" and "help" are the vocabulary of ordinary requests, not feelings; "like"
# and "kind" are mostly "I'd like" and "kind of"; "joke" is an insult here, not fun.
VALENCE_OVERRIDES: dict[str, float] = {
    "cancel": 0.0,
    "cancelled": 0.0,
    "canceled": 0.0,
    "charged": 0.0,
    "help": 0.0,
    "helping": 0.0,
    "please": 0.0,
    "like": 0.0,
    "kind": 0.0,
    "pretty": 0.0,
    "sure": 0.0,
    "ok": 0.3,
    "okay": 0.3,
    "no": 0.0,
    "joke": -1.8,
    "sorry": 0.0,
    "free": 0.5,
    "lol": 0.5,
    "missing": -0.6,
    "delay": -0.8,
    "delayed": -0.8,
}

# Customer-service complaint words that the general lexicon lacks or underrates.
EXTRA_VALENCE: dict[str, float] = {
    "shambles": -2.5,
    "disgraceful": -2.6,
    "nightmare": -2.2,
    "rubbish": -1.8,
    "garbage": -2.0,
    "trash": -1.8,
    "ripoff": -2.5,
    "unhelpful": -1.8,
    "clueless": -2.0,
    "scammers": -2.8,
    "scammer": -2.8,
    "scamming": -2.8,
    "overcharged": -2.0,
    "incompetent": -2.4,
    "infuriating": -2.8,
    "infuriated": -2.8,
    "fuming": -2.7,
    "pissed": -2.6,
    "😡": -3.0,
    "🤬": -3.2,
    "😠": -2.8,
    "😤": -2.2,
    "🙄": -1.5,
    "😒": -1.6,
    "💩": -1.8,
    "👎": -1.8,
    "😊": 1.8,
    "🙂": 1.2,
    "😀": 1.8,
    "😃": 1.8,
    "😄": 1.8,
    "😍": 2.5,
    "❤": 2.4,
    "❤️": 2.4,
    "👍": 1.4,
    "🙏": 1.2,
}

# Two- and three-word expressions read as one sentiment unit. Their words are not
# scored again on their own.
PHRASE_VALENCE: dict[tuple[str, ...], float] = {
    ("fed", "up"): -2.6,
    ("sick", "of"): -2.3,
    ("sick", "and", "tired"): -3.0,
    ("had", "enough"): -2.4,
    ("rip", "off"): -2.5,
    ("waste", "of", "time"): -2.6,
    ("piece", "of", "junk"): -2.6,
    ("piece", "of", "crap"): -2.8,
    ("piece", "of", "shit"): -3.0,
    ("no", "problem"): 1.0,
    ("no", "worries"): 1.2,
    ("no", "rush"): 0.8,
    ("thank", "you"): 1.5,
    ("kind", "of"): 0.0,
    ("sort", "of"): 0.0,
}

NEGATORS = frozenset(
    """not no never none nobody nothing nowhere neither nor without cannot cant can't
    don't dont doesn't doesnt didn't didnt isn't isnt aren't arent wasn't wasnt weren't
    werent won't wont wouldn't wouldnt shouldn't shouldnt couldn't couldnt haven't havent
    hasn't hasnt hadn't hadnt ain't aint mustn't hardly barely n't""".split()
)

# Words that make the next sentiment word stronger ("really bad") or weaker
# ("a bit slow"). Swear words used as boosters ("fucking useless") count here too.
BOOSTERS = frozenset(
    """very really so extremely totally absolutely completely utterly incredibly super too
    seriously terribly awfully insanely ridiculously highly most such truly entirely
    deeply beyond thoroughly fucking freaking frigging bloody damn damned effing
    hugely massively majorly unbelievably""".split()
)
DAMPENERS = frozenset("slightly somewhat bit little kinda sorta fairly rather marginally mildly".split())

BOOST_FACTOR = 1.3
DAMPEN_FACTOR = 0.7
NEGATION_FACTOR = -0.6
CAPS_FACTOR = 1.3

# --- emotion families ------------------------------------------------------------------
# General sentiment cannot tell anger from sadness ("I'm so sad" and "I'm so mad" are
# equally negative), yet only one of them asks for de-escalation. These families let
# the model weigh them apart: the first three push the score up, the last (sadness,
# worry, fear: a customer who needs reassurance, not calming) is expected to pull it down.

ANGER_WORDS = frozenset(
    """angry angrier angriest anger angered furious fury livid mad outraged outrage outrageous
    rage raging enraged pissed fuming infuriating infuriated infuriates irritated irritating
    irritates irritation annoyed annoying annoys annoyance frustrated frustrating frustrates
    frustration hate hated hates hating loathe loathing despise disgusted disgusting disgust
    ridiculous absurd ludicrous unacceptable pathetic stupid stupidity idiotic dumb moronic
    shameful disgrace disgraceful appalling terrible awful horrible worst useless incompetent
    incompetence rude arrogant ignorant insane shocking scandalous atrocious abysmal dreadful
    unbelievable bitter resent resentful hostile offended offensive insulting wtf ffs
    seriously sick fed bullshit garbage rubbish trash joke""".split()
)
DISAPPOINTMENT_WORDS = frozenset(
    """disappointed disappointing disappointment disappoints unfortunately sadly shame pity
    letdown underwhelming underwhelmed meh regret regrettable unsatisfied dissatisfied
    unhappy expected wish wished hoped supposed""".split()
)
DISAPPROVAL_WORDS = frozenset(
    """wrong disagree nonsense unfair shouldn't shouldnt should've shouldve bad worse false
    misleading misled lie lies lying liar lied excuse excuses blame fault unreasonable
    inappropriate incorrect nope""".split()
)
SADNESS_FEAR_WORDS = frozenset(
    """sad sadness depressed depressing depression lonely alone cry crying cried tears
    heartbroken heartbreaking grief grieving sorrow hurt hurting pain painful anxious anxiety
    scared afraid fear fearful worried worry worrying nervous terrified terrifying panic
    panicking mourn mourning miss missed""".split()
)

# --- shouting ---------------------------------------------------------------------------

# Upper-case words that are names, not raised voices.
ACRONYMS = frozenset(
    """ATM API APP CEO CFO CPU CSV CVV DHL DNS DVD EMI ETA EUR EST FAQ GBP GPS GST HDMI
    HTML HTTP HTTPS IBAN IMEI IOS ISP LTE NFC NHS OTP PDF PST PIN POS RMA SIM SKU SMS SSD
    SSN TNT UPS URL USA USB USD USPS UTC VAT VIP VPN WIFI FYI BTW IMO IMHO TBH LOL LMAO
    ROFL OMG AKA ASAP NASA NBA NFL NHL MLB UFC WWE NYC GMT EDT PDT BBC CNN GOP UAE
    ECDC CDC WHO NAME RELIGION""".split()
)

# --- profanity and insults --------------------------------------------------------------

PROFANITY_STRONG = frozenset(
    """fuck fucks fucked fucking fuckin fucker fuckers fck fk fuk fucken motherfucker
    motherfucking shit shits shitty shite bullshit horseshit asshole assholes arsehole
    arseholes bastard bastards bitch bitches dick dicks dickhead cunt cunts wanker
    wankers twat twats prick pricks goddamn goddamned goddam wtf stfu ffs jfc effing
    dipshit dumbass jackass""".split()
)
PROFANITY_MILD = frozenset(
    """damn damned dammit damnit crap crappy hell bloody freaking frigging friggin
    sucks suck sucked piss pissed pissing arse bs heck darn""".split()
)

# Words that carry no topic, ignored when comparing a message with earlier ones.
STOPWORDS = frozenset(
    """a an the and or but if then so to of in on at by for with from into about as is are
    was were be been being am do does did doing have has had having i me my mine we us our
    you your yours he she it its they them their this that these those there here what
    which who whom whose when where why how can could will would shall should may might
    must just also too very really please hi hello hey thanks thank ok okay yes no not
    any some all still again now get got help want need would like know tell one im ive
    dont cant its id ill""".split()
)


@lru_cache(maxsize=1)
def sentiment_valences() -> dict[str, float]:
    """Token -> valence (-4..4): VADER's ratings, then our corrections and additions.

    Read once, on first use, so that importing the package stays free of I/O.
    """
    spec = importlib.util.find_spec("vaderSentiment")
    if spec is None or not spec.submodule_search_locations:
        raise LexiconUnavailable(
            "the frustration detector needs the VADER lexicon: install vaderSentiment==3.3.2 (see requirements.txt)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "vader_lexicon.txt"
    valences: dict[str, float] = {}
    with path.open(encoding="utf-8") as lexicon:
        for line in lexicon:
            word, _, rest = line.partition("\t")
            if word and rest:
                valences[word] = float(rest.split("\t", 1)[0])
    valences.update(EXTRA_VALENCE)
    valences.update(VALENCE_OVERRIDES)
    for word in NEGATORS | BOOSTERS | DAMPENERS:
        valences.pop(word, None)
    return valences
