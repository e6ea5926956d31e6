"""Customer-service cue patterns: threats, demands for a person, sarcasm, repeats, insults.

These are the things a support agent hears at once and a corpus of Reddit comments or
tweets never labels, so they are written by hand, matched on the normalised message
(lower case, straight apostrophes, single spaces; see features.normalise), and given
hand-set weights and rule floors in calibrate.py and model.py.

Each cue's pattern is one alternation compiled once at import. Before running it, a
cheap substring test checks for the cue's anchor words (``ANCHORS``): every alternative
contains one of them, so a message without any cannot match, and most messages, which
carry no cue at all, skip the regex entirely.
"""

from __future__ import annotations

import re

# --- swearing and name-calling ----------------------------------------------------------

# Masked swearing: f***, f*ck, sh*t, $hit, a**hole. A grawlix run (#$%@!) counts when it
# holds at least two different symbols other than "!" (so "!!!" is not swearing).
MASKED_PROFANITY = (
    r"\bf[\*#@%$]+(?:k|ck|king|kin|ing)?\b|\bf\*+|\bsh[\*!1#]t|\$h[i1!]t|\ba[\*$]{2}(?:hole)?\b|\bb[\*!]tch"
)
GRAWLIX = r"[#@$%&*!]{3,}"

INSULT_NOUNS = (
    r"idiots?|morons?|imbeciles?|clowns?|fools?|losers?|liars?|thie(?:f|ves)|scammers?|crooks?|"
    r"jerks?|dumbass(?:es)?|dipshits?|assholes?|arseholes?|bastards?|bitch(?:es)?|pricks?|twats?|"
    r"wankers?|cunts?|dickheads?|muppets?|amateurs?|incompetents?|cowboys?|crooks?|frauds?|"
    r"piece of (?:shit|crap|garbage|trash|junk)|waste of (?:space|oxygen)|joke"
)
INSULT_ADJECTIVES = (
    r"useless|stupid|dumb|incompetent|pathetic|worthless|clueless|brainless|idiotic|moronic|"
    r"braindead|brain[- ]dead|retarded|a joke|a disgrace|thieving|"
    r"crooked|a fraud|a scam|garbage|trash|rubbish"
)
# What a customer may be calling names: the agent, the bot, the company's people.
INSULT_TARGETS = (
    r"bots?|robots?|chatbots?|machines?|computers?|programs?|agents?|people|company|companies|"
    r"staff|support|team|employees?|reps?|representatives?|idiots?|clowns?|morons?|person|"
    r"firm|outfit|business"
)

# Abuse aimed straight at the person answering.
DIRECT_ABUSE = (
    # "screw" is hardware in a furniture shop: abuse only as "screw you" / "screw this." at its end.
    r"(?:fuck|f\*+k|f\*+) (?:you|u|off|this|your)|screw (?:you|u|off)\b(?! (?:in|on|into|onto|to)\b)|"
    r"screw (?:this|that|it)(?=\s*(?:$|[.!,;]))|shut up|go to hell|piss off|bite me|"
    r"get lost|drop dead|eat shit|kiss my (?:ass|arse)|up yours|sod off|bugger off"
)

# --- customer-service cues --------------------------------------------------------------

_MODAL = r"(?:i(?:'ll| will| shall| am going to|'m going to|m going to| am gonna|'m gonna|m gonna|ll)|we(?:'ll| will| are going to|'re going to)|going to|gonna)"
_ACCOUNTS = (
    r"(?:account|subscription|membership|contract|service|plan|policy|card|broadband|line|business|order|orders|custom)"
)

_ADVERB = r"(?:(?:just|definitely|seriously|probably|simply|happily|be|have to|need to|now|then|gladly) )?"
THREAT_TO_CANCEL = (
    _MODAL
    + " "
    + _ADVERB
    + r"(?:cancel(?:l?ing)?|unsubscrib(?:e|ing)|terminat(?:e|ing)|clos(?:e|ing) (?:my|our|the) (?:\w+ )?"
    + _ACCOUNTS
    + r")\b",
    _MODAL
    + " "
    + _ADVERB
    + r"(?:leav(?:e|ing)|switch(?:ing)?|mov(?:e|ing)|go(?:ing)?|tak(?:e|ing) my (?:business|money|custom))"
    r"(?: \w+){0,2}? (?:your company|this company|your bank|this bank|your service|elsewhere|a competitor|your competitor|someone else|(?:another|a different|a better) (?:provider|company|bank|network|carrier|supplier|insurer|retailer|store|shop|airline|operator))\b",
    _MODAL
    + " "
    + _ADVERB
    + r"(?:stop (?:using|paying|buying|ordering|shopping)|never (?:buy|order|use|shop|fly|bank))\b",
    # "never buying from you again" and "the last time I order" are matched further down.
    r"(?:^|[.!?]\s*)never again\b(?! (?:will|would|do|did|shall|can|could|am|is)\b)|\bnever (?:buying|ordering|shopping|using|flying|banking|booking) (?:from|with|here|anything)\b",
    r"\b(?:cancel(?:l?ing)?|clos(?:e|ing)|terminat(?:e|ing)) (?:my|our|the|this) (?:\w+ )?"
    + _ACCOUNTS
    + r" (?:if|unless|right now|now|today|immediately|effective)\b",
    r"\b(?:i|we)(?:'m| am|'re| are) (?:now |just |definitely |seriously |actually )?(?:cancel(?:l?ing)|unsubscribing|terminating|closing (?:my|our|the) (?:\w+ )?"
    + _ACCOUNTS
    + r"|switching (?:to|provider|bank|network|supplier)|moving (?:to|my)|taking my (?:business|money|custom))\b",
    r"\bor (?:else )?(?:i|we)(?:'ll| will)? (?:cancel|leave|close|switch|walk)\b",
    r"\bif (?:this|it|you|that|i|nothing)\b[^.!?]{0,60}\b(?:i|we)(?:'ll| will| am going to|'m going to|'m| am)? (?:cancel|leav|switch|clos(?:e|ing) my|tak(?:e|ing) my business)",
    r"\btak(?:e|ing) my (?:business|money|custom) (?:elsewhere|somewhere else)\b",
    r"\bswitch(?:ing)? to (?:a competitor|your competitors?|one of your competitors|(?:another|a different|a new|a better) (?:provider|company|bank|network|carrier|supplier|insurer|retailer|store|shop|airline|operator))\b",
    r"\b(?:go|going|move|moving) to (?:a |your )?(?:competitor|another provider|another company|another bank|another network)\b",
    r"\b(?:i|we)(?:'m| am|'re| are) (?:done|finished|through) with (?:you|this company|your company|your service|this service)\b",
    r"\b(?:you(?:'ve| have)?|you just) lost (?:a|another|my|our) (?:customer|client)\b",
    r"\bnever (?:buy|buying|order|ordering|shop|shopping|use|using|fly|flying|bank|banking|deal|dealing)\b[^.!?]{0,25}\b(?:again|ever)\b",
    r"\bthe last time (?:i|we)(?:'ll| will)? (?:buy|order|use|shop|fly|bank|book|deal)\b",
)

THREAT_PUBLIC_COMPLAINT = (
    r"\b(?:leav(?:e|ing)|writ(?:e|ing)|post(?:ing)?|giv(?:e|ing)|put(?:ting)?) (?:you |this |it )?(?:an? |my )?(?:very |really )?(?:bad|negative|terrible|horrible|awful|scathing|honest|public|one[- ]star|1[- ]star|zero[- ]star|0[- ]star|low) (?:review|rating|feedback|post)",
    r"\b(?:one|1|zero|0|no)[- ]star (?:review|rating)s?\b",
    _MODAL
    + " "
    + _ADVERB
    + r"(?:post|write|tweet|share|put|tell|report|leave|go|take this|blast|expose|complain)(?: \w+){0,4}? (?:an? )?(?:review|yelp|trustpilot|twitter|facebook|social media|reddit|tiktok|instagram|youtube|the news|the press|the papers|everyone|everybody|the world)\b",
    r"\b(?:post|posting|put|putting|share|sharing|tweet|tweeting|blast|blasting|expose|exposing|name and shame)\b[^.!?]{0,40}\b(?:twitter|facebook|social media|reddit|tiktok|instagram|youtube|linkedin|online|the internet|yelp|trustpilot|google reviews?)\b",
    r"\btell (?:everyone|everybody|all my friends|the world|all my followers)\b",
    r"\beveryone (?:will|is going to|gonna) (?:know|hear)\b",
    r"\b(?:report|reporting|complain|complaining|complaint|escalate|escalating|contact|contacting|call|calling|go|going|take this|taking this|writing|write)\b[^.!?]{0,40}\b(?:bbb|better business bureau|regulators?|ombudsman|fca|ftc|cfpb|fcc|ofcom|ofgem|ofwat|trading standards|consumer (?:protection|rights|affairs|council|watchdog)|attorney general|authorities|the police|my bank|my credit card company|the bank|card issuer|lawyers?|attorneys?|solicitors?|the press|the media|newspapers?|journalists?)\b",
    r"\b(?:sue|suing|lawsuit|legal action|small claims|take you to court|taking you to court|see you in court|my lawyer|my attorney|my solicitor|chargeback|charge back)\b",
    r"\bdispute (?:the|this|that) (?:charge|payment|transaction)\b",
)

_PERSON = (
    r"(?:human(?: being)?|person|agent|manager|supervisor|representative|rep|operator|employee|boss|"
    r"advisor|adviser|specialist|staff member|member of staff)"
)
_DET = r"(?:(?:a|an|the|some|your|one of your|to a|to an|to the|to your) )?"
_QUALITY = r"(?:(?:real|live|actual|proper|human|senior|living|damn|fucking|bloody) )?"
DEMANDS_HUMAN = (
    r"\b(?:speak|talk|chat|speaking|talking) (?:to|with) "
    + _DET
    + _QUALITY
    + r"(?:"
    + _PERSON
    + r"|someone|somebody|anyone|anybody)s?\b",
    r"\b(?:connect|transfer|put|pass|forward|escalate) me (?:through |over )?(?:to )?"
    + _DET
    + _QUALITY
    + r"(?:"
    + _PERSON
    + r"|someone|somebody)s?\b",
    r"\b(?:get|give|find) me " + _DET + _QUALITY + _PERSON + r"s?\b",
    r"\b(?:i|we) (?:want|need|demand|'d like|would like|wanna) " + _DET + _QUALITY + _PERSON + r"\b",
    r"\b(?:want|need|get|give|demand|see|find|call|fetch) (?:me )?(?:a |an |some )?(?:real|live|actual|proper) (?:human|person|agent|people|operator)s?\b",
    r"\byour (?:manager|supervisor)\b",
    r"\bescalate (?:this|it|my|the)\b",
    r"^\W*(?:human|agent|operator|representative|manager|supervisor|person|a human|a person|an agent|real person|customer service|live agent)(?: please| now| pls| plz| asap|!)*\W*$",
    r"\b(?:stop|quit) (?:sending|giving) me (?:automated|canned|bot|generic|the same)\b",
    r"\b(?:not|no more|stop) (?:talking|speaking|chatting) to (?:a |this |another |the )?(?:bot|robot|machine)\b",
)

SARCASM_ALWAYS = (
    r"\b(?:great|wonderful|perfect|fantastic|brilliant|lovely|awesome|marvell?ous|terrific|super|nice|excellent|splendid)\W+(?:just|really|simply|absolutely|truly|oh so)\s+(?:great|wonderful|perfect|fantastic|brilliant|lovely|awesome|marvell?ous|terrific|super|nice|excellent|splendid)\b",
    r"\b(?:oh|ah|wow|gee|yay|yippee)\W+(?:great|wonderful|perfect|fantastic|brilliant|lovely|awesome|marvell?ous|terrific|super|joy|goody|splendid|how (?:nice|lovely|wonderful|helpful|convenient|surprising))\b",
    r"\bthanks? (?:you )?(?:so much |a lot |very much )?for (?:nothing|wasting|ruining|making (?:it|this|things) worse)\b",
    r"\byeah,? right\b|\bya,? right\b|\bsure you (?:do|will|are|did)\b",
    r"\bjust what i (?:needed|wanted)\b",
    r"\b(?:love|loving|enjoy|enjoying|adore) (?:being (?:put on hold|on hold|ignored|charged|overcharged|cut off|transferred|kept waiting|lied to)|waiting (?:for|on|\d)|paying (?:twice|double|for nothing)|getting (?:charged|ignored|the runaround|cut off))",
    r"(?:^|\s)/s\b",
    r"\bwhat (?:a|an) (?:surprise|shock)\b",
    r"\bcolou?r me (?:surprised|shocked)\b",
)
# Praise that is sarcastic only when the rest of the message is a complaint.
SARCASM_FRAMES = (
    r"^\W*(?:oh\W+)?(?:great|wonderful|perfect|fantastic|brilliant|lovely|awesome|nice|super|excellent|terrific|splendid|wow|well done|good job|bravo)\W",
    r"\bwhat (?:a|an) (?:great|wonderful|fantastic|brilliant|lovely|amazing|excellent|outstanding|stellar) (?:service|experience|company|job|way|help|support|system|bot)\b",
    r"\b(?:great|good|nice|fantastic|brilliant|stellar|outstanding|amazing) (?:job|work|service|customer service|support)\b",
    r"\b(?:very|so|really|super|incredibly|extremely) (?:helpful|useful)\b",
    r"\bthanks a (?:lot|bunch|million)\b",
    r"🙄",
)

REPEATED_COMPLAINT = (
    r"\b(?:second|2nd|third|3rd|fourth|4th|fifth|5th|sixth|seventh|tenth|hundredth|umpteenth|nth|millionth|twentieth) time\b",
    r"\b(?:again and again|over and over|yet again|once again|time and (?:time )?again|for the last time)\b",
    r"\bhow many (?:more )?times\b",
    r"\b(?:i|we)(?:'ve| have)? already (?:told|said|asked|explained|sent|given|gave|called|emailed|tried|provided|contacted|reported|complained|done)\b",
    r"\bas (?:i|we) (?:said|mentioned|told you|explained|already said|already told you|keep saying|stated)\b",
    r"\b(?:i|we) keep (?:asking|telling|getting|calling|emailing|saying|explaining|trying)\b",
    r"\b(?:asked|told|called|emailed|written|wrote|contacted|messaged|chatted|rang|phoned)\b(?: \w+){0,3} (?:twice|three times|four times|five times|several times|multiple times|many times|\d+ times|a dozen times|numerous times)\b",
    r"\b(?:twice|three times|four times|several times|multiple times|many times|\d+ times) (?:already|now|before|this week|today)\b",
    r"\b(?:still|again) (?:the same|nobody|no one|no answer|no reply|no response)\b",
    r"\bi(?:'m| am) repeating myself\b",
)

UNRESOLVED_PROBLEM = (
    r"\bstill (?:waiting|not|no|haven't|hasn't|havent|hasnt|don't|doesn't|dont|doesnt|didn't|didnt|can't|cant|cannot|nothing|broken|missing|charging|unresolved|wrong)\b",
    r"\b(?:been )?waiting (?:for |over |more than )?(?:\d+|two|three|four|five|six|several|many|a few)? ?(?:days|weeks|months|hours)\b",
    r"\b(?:nobody|no one|no-one|noone)(?: has| ever| even)? (?:answers?|answered|replies|replied|responds?|responded|helps?|helped|calls? back|called back|cares?|got back)\b",
    r"\bno (?:reply|response|answer|one|update|refund|call back|callback) (?:yet|from|at all|since|in)\b",
    r"\bnever (?:arrived|received|got|came|heard back|showed up|delivered|refunded)\b",
    r"\b(?:doesn't|doesnt|does not|isn't|isnt|is not|not|still not|never) work(?:ing|s|ed)?(?=\s*(?:$|[.!?,;]|at all|anymore|any more|properly|again|for me))",
    r"\bwaste of (?:my )?(?:time|money)\b",
    r"\bnothing (?:works|is working|has changed|happened|was done)\b",
)

# The customer says they are not being understood, corrects the assistant, loses patience
# or gives up: in a support chat each is a failed turn told in words.
NOT_UNDERSTOOD = (
    r"\b(?:that'?s|that is|it'?s|it is|this is) not what i (?:asked|said|meant|wanted|need(?:ed)?|ordered|typed)\b",
    r"\bnot what i (?:asked|said|meant|wanted)\b",
    r"^\W*no\W+(?:no\W+)?i (?:said|asked|meant|wanted|typed)\b",
    r"\bi (?:didn't|didnt|did not|never) (?:ask|say|said|want|mention|order)\b",
    r"\b(?:are|were) you (?:even |actually )?(?:listening|reading|paying attention)\b",
    r"\bdid you (?:even |actually )?(?:read|hear|listen|look)\b",
    r"\b(?:can|could|will) you (?:just |please )?(?:listen|read what i)\b",
    r"\byou(?:'re| are)? not (?:listening|understanding|helping|getting it|reading)\b",
    r"\byou (?:don't|dont|do not|clearly don't) (?:understand|get it|listen)\b",
    r"\b(?:forget it|forget the whole thing|i give up|i'?m done with|i'?ll (?:just )?do it myself)\b",
    r"\b(?:wrong|useless|no help|not helpful|irrelevant) again\b|\b(?:completely|totally) (?:irrelevant|useless)\b",
    r"\b(?:losing|lost|running out of|out of) (?:my )?patience\b",
    r"\bhow (?:hard|difficult) (?:is it|can it be|could it be)\b",
    r"\bhow is (?:it|that|this) (?:possible|acceptable|ok|okay)\b",
    r"\b(?:is )?(?:any ?one|any ?body) (?:there|home|out there)\s*\?",
    # Corrections: "I said Tuesday, not Thursday", "I told you I'm leaving from London",
    # "you booked the wrong day", "going round in circles", "just answer the question".
    # The thing asked for is a short phrase with no verb in it, right before "not": "I wanted
    # to know if it's not too late" and "I requested a refund but have not heard" are not.
    r"\bi (?:said|asked for|wanted|specified|requested) (?:(?!(?:is|isn'?t|it'?s|i'?m|do|does|did|have|has|had|was|were|are|be|to|if|but|and|so|because)\b)[\w'-]+ ?){1,5},? not\b",
    r"^\W*(?:no\W+)?i (?:already )?told you\b",
    r"\byou(?:'ve| have)? (?:booked|gave me|given me|sent me|picked|chose|found|got|put me on) (?:me )?(?:the|a) wrong\b",
    r"\b(?:we|you)(?:'re| are)? (?:just )?(?:going|talking|running|went|go) (?:round |around )?in circles\b|\bback (?:to )?where we started\b",
    r"\bjust answer (?:the|my) (?:damn |bloody )?question\b|\banswer (?:the|my) (?:damn |bloody )?question\W*$",
    r"\b(?:are you|you(?:'re| are) not|you aren'?t|not) (?:even )?pay(?:ing)? attention\b|\bpay attention(?:,| to what i| to me\b)",
)

# At least one of these occurs in every alternative of the cue's patterns. Keep them in
# step when a pattern changes; tests/bot checks the promise on the development data.
ANCHORS: dict[str, tuple[str, ...]] = {
    "demands_human": tuple(
        "human|person|agent|manager|supervisor|representative|rep|operator|employee|boss|advis|"
        "specialist|staff|someone|somebody|anyone|anybody|people|escalat|customer service|sending|"
        "giving|bot|machine".split("|")
    ),
    "threat_to_cancel": tuple(
        "cancel|unsubscrib|terminat|clos|compan|bank|service|elsewhere|another|competitor|"
        "different|someone else|stop|never|leav|walk|switch|take my|taking my|done with|"
        "finished with|through with|lost|last time|mov|better".split("|")
    ),
    "threat_public_complaint": tuple(
        "review|rating|feedback|post|yelp|trustpilot|twitter|facebook|social|reddit|tiktok|"
        "instagram|youtube|linkedin|google|online|internet|news|press|papers|everyone|everybody|"
        "world|friends|followers|bbb|bureau|regulator|ombudsman|fca|ftc|cfpb|fcc|ofcom|ofgem|"
        "ofwat|trading standards|consumer|attorney|authorities|police|bank|card|lawyer|solicitor|"
        "media|newspaper|journalist|sue|suing|lawsuit|legal|small claims|court|chargeback|"
        "charge back|dispute|star".split("|")
    ),
    "sarcasm": tuple(
        "great|wonderful|perfect|fantastic|brilliant|lovely|awesome|marvel|terrific|super|nice|"
        "excellent|splendid|oh|ah|wow|gee|yay|yippee|thank|right|sure you|just what|lov|enjoy|"
        "ador|/s|what a|colo|good|bravo|amazing|outstanding|stellar|helpful|useful|well done|"
        "\U0001f644".split("|")
    ),
    "masked_profanity": ("*", "#", "@", "%", "$", "sh1t", "sh!t", "b!tch"),
}
ALWAYS = ("",)  # "" occurs in every string: the pattern always runs


def _any_of(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def mentions(norm: str, anchors: tuple[str, ...]) -> bool:
    for anchor in anchors:
        if anchor in norm:
            return True
    return False


_YOU_ARE = (
    r"\byou(?: guys| people| lot| all| two)?(?: are|'re| r|re)? (?:(?:an?|such an?|so|the|a total|a complete|"
    r"completely|totally|utterly|really|fucking|bloody|absolutely|just|most|effing|freaking|one|bunch of)\s+){0,3}"
)
_THEY_ARE = (
    r"(?:is|are) (?:(?:such|so|a|an|just|absolutely|completely|totally|utterly|fucking|bloody|a bunch of)\s+){0,3}"
)
ABUSE = _any_of(
    (
        r"\b(?:" + DIRECT_ABUSE + r")\b",
        _YOU_ARE + r"(?:" + INSULT_NOUNS + "|" + INSULT_ADJECTIVES + r")\b",
    )
)
INSULT = _any_of(
    (
        r"\b(?:" + INSULT_ADJECTIVES + r"|fucking|bloody|effing|freaking|damn) (?:ass )?(?:" + INSULT_TARGETS + r")\b",
        r"\b(?:"
        + INSULT_TARGETS
        + r"|this place|this company|your company) "
        + _THEY_ARE
        + r"(?:"
        + INSULT_NOUNS
        + "|"
        + INSULT_ADJECTIVES
        + r")\b",
        r"\b(?:idiots|morons|clowns|scammers|thieves|crooks|liars|incompetents|muppets|amateurs|frauds|cowboys)\b",
    )
)
CUES: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    ("demands_human", ANCHORS["demands_human"], _any_of(DEMANDS_HUMAN)),
    ("threat_to_cancel", ANCHORS["threat_to_cancel"], _any_of(THREAT_TO_CANCEL)),
    ("threat_public_complaint", ANCHORS["threat_public_complaint"], _any_of(THREAT_PUBLIC_COMPLAINT)),
    ("repeated_complaint", ALWAYS, _any_of(REPEATED_COMPLAINT)),
    ("unresolved_problem", ALWAYS, _any_of(UNRESOLVED_PROBLEM)),
    ("not_understood", ALWAYS, _any_of(NOT_UNDERSTOOD)),
)
SARCASM = _any_of(SARCASM_ALWAYS)
SARCASM_FRAME = _any_of(SARCASM_FRAMES)
MASKED = re.compile(MASKED_PROFANITY)
# Words that say a problem was solved: thanks that carry one are sincere.
RESOLVED = re.compile(
    r"\b(?:fixed|sorted|solved|resolved|worked|works now|working now|arrived|received|came|got it|refunded|"
    r"that helps|that helped|all good|perfect now)\b"
)
GRAWLIX_RUNS = re.compile(GRAWLIX)


def find_cues(norm: str) -> list[str]:
    """Names of the customer-service cues in a normalised message, in ``CUES`` order."""
    return [name for name, anchors, pattern in CUES if mentions(norm, anchors) and pattern.search(norm)]


def is_sarcastic(norm: str, complaining: bool) -> bool:
    """Sarcasm: a stock sarcastic phrase, or praise framing a complaint."""
    if not mentions(norm, ANCHORS["sarcasm"]):
        return False
    return bool(SARCASM.search(norm)) or (complaining and bool(SARCASM_FRAME.search(norm)))


def masked_swearing(norm: str) -> int:
    """How many masked swear words and grawlix runs a normalised message holds."""
    if not mentions(norm, ANCHORS["masked_profanity"]):
        return 0
    count = len(MASKED.findall(norm))
    for run in GRAWLIX_RUNS.findall(norm):
        count += len(set(run) - {"!"}) >= 2
    return count
