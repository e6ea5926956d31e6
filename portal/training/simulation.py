"""The simulated customer: how their mood follows the trainee's replies, when the role-play
ends, and the attempt's score. Pure functions of the persona and the replies, so the same
replies always give the same customer lines, feedback, ending and score.

Mood runs from 0 (calm) to 1; its level is the band it falls in (``LEVEL_FLOORS``). Each
reply moves it by

    relief   the persona's weight for each calming move in the reply, halved for every earlier
             turn that used the same move (a third apology rings hollow), at most MAX_RELIEF a
             turn: a customer comes down a step at a time
    harm     the persona's weight for each inflaming move in the reply
    tone     TONE_PER_CUE for each sign of heat the frustration detector finds in the reply
             itself (capitals, repeated punctuation, swearing, insults, sarcasm), at most
             MAX_TONE. Only the heat cues count, not the detector's score: the words of
             empathy ("I'm sorry, that's frustrating") are the words of complaint, and the score
             reads them as upset
    silence  SILENCE when the trainee sends nothing
    drift    DRIFT when nothing in the reply calmed them: waiting costs patience

    mood' = clamp(mood - relief + harm + tone + silence + drift, 0, 1)

A turn makes progress when the mood falls by at least PROGRESS. After each turn, in order:
escalated when mood' reaches the persona's escalated threshold; calmed when mood' is at or
under its calmed threshold and every move the persona needs has been used; abandoned after
``patience`` turns in a row without progress, or when ``max_turns`` pass without calm.

The score (``score``, 0-100) is the sum of
    outcome  40 calmed, 10 abandoned, 0 escalated
    eased    30 x how far the mood came from where it started towards the persona's calmed
             threshold (all 30 once there; 0 when it rose)
    craft    30 x the share of the moves this customer values that were used at least once,
             minus 10 for each inflaming move used and 5 for each reply whose tone ran hot,
             kept within 0-30
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass

from portal.coaching.moves import LABELS, read_reply
from portal.training import playbook
from portal.training.personas import BOUNDARY, LEVELS, PersonaSpec

LEVEL_FLOORS = (0.25, 0.5, 0.75)  # lowest mood of annoyed, frustrated, angry
MAX_RELIEF = 0.3
REPEAT_DECAY = 0.6
TONE_PER_CUE = 0.05
MAX_TONE = 0.15
HEAT = ("shouting", "repeated_punctuation", "profanity", "insult", "sarcasm")
SILENCE = 0.06
DRIFT = 0.02
PROGRESS = 0.03
OUTCOME_POINTS = {"calmed": 40, "abandoned": 10, "escalated": 0}
EASED_POINTS = CRAFT_POINTS = 30
INFLAMING_PENALTY = 10
HOT_TONE_PENALTY = 5

BOUNDARY_PATTERN = re.compile(
    r"\b(?:(?:keep|speak|talk) (?:it |this |things )?(?:respectful|civil|polite|respectfully|civilly)"
    r"|(?:please|kindly) (?:don'?t|do not|avoid) (?:swear|swearing|use (?:that|such) language|insult)"
    r"|i(?:'d| would) ask that (?:we|you) (?:keep|stay|don'?t)"
    r"|(?:won'?t|will not|can'?t|cannot) accept (?:abuse|abusive|that language|insults)"
    r"|language like that)", re.IGNORECASE)
MOVE_LABELS = {**LABELS, BOUNDARY: "asked to keep it respectful"}
CUE_LABELS = {"shouting": "capitals read as shouting", "repeated_punctuation": "repeated punctuation",
              "profanity": "swearing", "insult": "an insult", "sarcasm": "sarcasm"}


def level_of(mood: float) -> str:
    return LEVELS[sum(1 for floor in LEVEL_FLOORS if mood >= floor)]


@dataclass(frozen=True)
class Turn:
    """One reply and what it did."""

    number: int
    reply: str
    mood_before: float
    mood_after: float
    helped: tuple[tuple[str, float], ...]  # (move, how far it brought the mood down)
    hurt: tuple[tuple[str, float], ...]  # (move, how far it pushed the mood up)
    tone: tuple[str, ...]  # the heat cues the detector found in the reply
    neutral: tuple[str, ...]  # moves this customer doesn't care about either way
    silent: bool
    progress: bool
    outcome: str  # active, calmed, escalated or abandoned
    line: str  # the customer's answer (their last words when it ended)
    better: str  # a stronger reply for the mood they were in

    @property
    def level_before(self) -> str:
        return level_of(self.mood_before)

    @property
    def level_after(self) -> str:
        return level_of(self.mood_after)


def moves_in(reply: str, customer_text: str) -> tuple[str, ...]:
    """The moves coaching.moves recognises, and the trainer's own: setting a boundary."""
    reading = read_reply(reply, customer_text)
    boundary = (BOUNDARY,) if BOUNDARY_PATTERN.search(reply) else ()
    return reading.moves + boundary


def tone_cues(reply: str) -> tuple[str, ...]:
    from bot.frustration import score_message  # the detector loads its lexicons on first use

    signals = score_message(reply).signals
    return tuple(cue for cue in HEAT if cue in signals)


def customer_text(spec: PersonaSpec, turns: list[Turn]) -> str:
    """What the trainee is answering: the customer's last line, with the opening that set out
    the problem (so repeating back the order number counts on any turn)."""
    return spec.opening if not turns else f"{spec.opening} {turns[-1].line}"


def value_of(spec: PersonaSpec, moves: tuple[str, ...]) -> float:
    return sum(spec.calms.get(m, 0.0) for m in moves) - sum(spec.inflames.get(m, 0.0) for m in moves)


def better_reply(spec: PersonaSpec, level: str, heard: str, offered: set[str]) -> str:
    """The playbook line this customer would value most at this level, not one already offered
    in this attempt while another remains (ties go to the first: ours before agent assist's)."""
    lines = [playbook.filled(t, spec.first_name, spec.order_number) for t in playbook.candidates(spec.scenario, level)]
    fresh = [line for line in lines if line not in offered] or lines
    return max(fresh, key=lambda line: value_of(spec, moves_in(line, heard)), default="")


def _pick(spec: PersonaSpec, number: int, reply: str, options: tuple[str, ...], said: set[str]) -> str:
    """A line for the customer, seeded by the persona, the turn and the reply: the same replies
    always hear the same lines. Lines not yet said come first."""
    fresh = [line for line in options if line not in said] or list(options)
    digest = hashlib.sha256(f"{spec.slug}|{number}|{reply}".encode()).digest()
    return fresh[int.from_bytes(digest[:4], "big") % len(fresh)]


def respond(spec: PersonaSpec, turns: list[Turn], reply: str) -> Turn:
    """The customer's answer to one more reply, after ``turns``."""
    if turns and turns[-1].outcome != "active":
        raise ValueError("the role-play has ended")
    number = len(turns) + 1
    before = turns[-1].mood_after if turns else spec.mood
    heard = customer_text(spec, turns)
    reply = (reply or "").strip()
    silent = not reply
    moves = () if silent else moves_in(reply, heard)
    used = Counter(m for turn in turns for m, _ in turn.helped)
    helped = tuple((m, round(spec.calms[m] * REPEAT_DECAY ** used[m], 3)) for m in moves if m in spec.calms)
    relief = min(MAX_RELIEF, sum(amount for _, amount in helped))
    hurt = tuple((m, spec.inflames[m]) for m in moves if m in spec.inflames)
    tone = () if silent else tone_cues(reply)
    push = sum(amount for _, amount in hurt) + min(MAX_TONE, TONE_PER_CUE * len(tone))
    push += (SILENCE if silent else 0.0) + (DRIFT if relief == 0 else 0.0)
    after = round(min(1.0, max(0.0, before - relief + push)), 3)
    progress = after <= before - PROGRESS
    stalled = 0 if progress else 1
    for turn in reversed(turns):
        if turn.progress:
            break
        stalled += 1
    done = set(used) | {m for m, _ in helped}
    if after >= spec.escalated_at:
        outcome = "escalated"
    elif after <= spec.calmed_at and set(spec.needs) <= done:
        outcome = "calmed"
    elif stalled >= spec.patience or number >= spec.max_turns:
        outcome = "abandoned"
    else:
        outcome = "active"
    said = {turn.line for turn in turns}
    line = spec.endings[outcome] if outcome != "active" else _pick(spec, number, reply, spec.lines[level_of(after)],
                                                                  said)
    better = better_reply(spec, level_of(before), heard, {turn.better for turn in turns})
    return Turn(number=number, reply=reply, mood_before=before, mood_after=after, helped=helped, hurt=hurt,
                tone=tone, neutral=tuple(m for m in moves if m not in spec.calms and m not in spec.inflames),
                silent=silent, progress=progress, outcome=outcome, line=line, better=better)


def replay(spec: PersonaSpec, replies: list[str]) -> list[Turn]:
    """The whole role-play from the trainee's replies."""
    turns: list[Turn] = []
    for reply in replies:
        turns.append(respond(spec, turns, reply))
    return turns


def still_needed(spec: PersonaSpec, turns: list[Turn]) -> tuple[str, ...]:
    done = {m for turn in turns for m, _ in turn.helped}
    return tuple(m for m in spec.needs if m not in done)


@dataclass(frozen=True)
class Score:
    total: int
    outcome: int
    eased: int
    craft: int


def score(spec: PersonaSpec, turns: list[Turn]) -> Score | None:
    """The attempt's score once it has ended (None before): see the module docstring."""
    if not turns or turns[-1].outcome == "active":
        return None
    outcome = OUTCOME_POINTS[turns[-1].outcome]
    share = (spec.mood - turns[-1].mood_after) / (spec.mood - spec.calmed_at)  # validate: calmed_at < mood
    eased = round(EASED_POINTS * min(1.0, max(0.0, share)))
    used = {m for turn in turns for m, _ in turn.helped}
    craft = CRAFT_POINTS * len(used) / len(spec.calms)
    craft -= INFLAMING_PENALTY * sum(len(turn.hurt) for turn in turns)
    craft -= HOT_TONE_PENALTY * sum(1 for turn in turns if turn.tone)
    craft = round(min(CRAFT_POINTS, max(0.0, craft)))
    return Score(total=outcome + eased + craft, outcome=outcome, eased=eased, craft=craft)
