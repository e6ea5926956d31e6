"""The dashboard's six sections, each a few tables built from the figures' queries.

``Figures`` runs each query at most once per request, so the page (all sections) and an
export (one section) share the code that decides every number.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from portal.insight import mood, outcome, speed, volume
from portal.insight.filters import Filters
from portal.insight.scope import LEVELS, Scope, scope_for
from portal.insight.tables import Column, Section, Table, minutes, percent
from portal.tickets.services import HANDOFF_REASONS

REASON_LABELS = {
    "requested_human": "Asked for a person",
    "angry": "Angry",
    "frustrated_rising": "Frustrated and rising",
    "abuse": "Abuse",
    "bot_failing": "Bot failing (repeated fallbacks)",
    "left_message": "Left a message",
    "forum_thread": "Forum thread",
}
MEASURE_LABELS = {"queue_wait": "Queue wait (handoff to claim)", "first_response": "First response",
                  "resolution": "Resolution"}


class Figures:
    def __init__(self, f: Filters):
        self.f = f

    @cached_property
    def scope(self) -> Scope:
        return scope_for(self.f)

    @cached_property
    def conversations(self):
        return volume.conversation_days(self.scope)

    @cached_property
    def tickets(self):
        return volume.ticket_days(self.scope)

    @cached_property
    def forum(self):
        return volume.forum_figures(self.f)

    def total(self, days: dict, field: str) -> int:
        return sum(getattr(d, field) for d in days.values())


def volume_section(fig: Figures) -> Section:
    forum = fig.forum
    rows = [[d.isoformat(), c.conversations, fig.tickets[d].handoffs, fig.tickets[d].tickets,
             forum.threads.get(d, 0) if forum.installed else None] for d, c in fig.conversations.items()]
    rows.append(["Total", *(sum(r[i] for r in rows) if rows[0][i] is not None else None for i in range(1, 5))])
    table = Table("volume-by-day", "Volume by day", [
        Column("Day", "text"), Column("Conversations", series=True), Column("Handoffs", series=True),
        Column("Tickets opened", series=True), Column("Forum threads", series=True),
    ], rows, chart="line", total=True, note=forum.note)
    return Section("volume", "Volume", "What came in: conversations with the bot, the chats it handed to a person, "
                   "every ticket opened (handoffs, left messages, forum threads), and new forum threads.", [table])


def self_service_section(fig: Figures) -> Section:
    rows = [[d.isoformat(), c.conversations, c.bot_alone, c.escalated, percent(c.bot_alone, c.conversations)]
            for d, c in fig.conversations.items()]
    n, alone = fig.total(fig.conversations, "conversations"), fig.total(fig.conversations, "bot_alone")
    rows.append(["Total", n, alone, fig.total(fig.conversations, "escalated"), percent(alone, n)])
    by_day = Table("self-service-by-day", "Resolved by the bot alone, by day", [
        Column("Day", "text"), Column("Conversations"), Column("Resolved by the bot alone", series=True),
        Column("Escalated to a person", series=True), Column("Self-service rate (%)", "pct"),
    ], rows, chart="line", total=True)
    s = fig.forum
    decided = None if s.deflected is None else s.deflected + s.posted_after
    opened = Table("suggestions", "Suggestions opened while writing a forum question", [
        Column("Measure", "text"), Column("Count", series=True),
    ], [["Articles opened", s.articles_opened], ["Threads opened", s.threads_opened],
        ["Deflected (no thread followed)", s.deflected], ["Posted a thread anyway", s.posted_after],
        ["Still within the window", s.pending]], chart="bar", note=s.note)
    deflection = Table("deflection", "Forum deflection", [
        Column("Suggestions", "text"), Column("Decided (window over, or posted)"), Column("Deflected"),
        Column("Deflection rate (%)", "pct"),
    ], [["All opened", decided, s.deflected, percent(s.deflected, decided)]], note=s.note)
    return Section("self-service", "Self-service", "Conversations the bot solved with nobody asked, and how often "
                   "a suggested article or answered thread kept someone from posting a new question.",
                   [by_day, opened, deflection])


def escalation_section(fig: Figures) -> Section:
    n, escalated = fig.total(fig.conversations, "conversations"), fig.total(fig.conversations, "escalated")
    rate = Table("escalation-rate", "Escalation rate", [
        Column("Range", "text"), Column("Conversations"), Column("Escalated to a person"),
        Column("Escalation rate (%)", "pct"),
    ], [["The whole range", n, escalated, percent(escalated, n)]])
    counts = volume.reasons(fig.scope)
    tickets = sum(counts.values())
    reasons = Table("escalation-reasons", "Why a person was asked (tickets by reason)", [
        Column("Reason", "text"), Column("Tickets", series=True), Column("Share (%)", "pct"),
    ], [[REASON_LABELS[r], counts.get(r, 0), percent(counts.get(r, 0), tickets)] for r in HANDOFF_REASONS]
       + [["Total", tickets, percent(tickets, tickets)]], chart="bar", total=True)
    return Section("escalation", "Escalation", "How often a conversation needed a person, and why.", [rate, reasons])


def speed_section(fig: Figures) -> Section:
    found = speed.durations(fig.scope)
    times = Table("speed-times", "Time taken (minutes)", [
        Column("Measure", "text"), Column("Tickets measured"), Column("Median (p50)", "minutes", series=True),
        Column("p90", "minutes", series=True),
    ], [[MEASURE_LABELS[m], found[m]["n"], minutes(found[m][0.5]), minutes(found[m][0.9])] for m in speed.MEASURES],
        chart="bar")
    timers = speed.sla(fig.scope)
    sla = Table("speed-sla", "Against the SLA", [
        Column("Timer", "text"), Column("Met", series=True), Column("Breached", series=True),
        Column("Still running", series=True), Column("Breach rate (%)", "pct"),
    ], [[label, t.met, t.breached, t.running, percent(t.breached, t.met + t.breached)]
        for label, t in (("First response", timers["first_response"]), ("Resolution", timers["resolution"]))],
        chart="bar")
    return Section("speed", "Speed", "Queue wait runs from the handoff to the first claim; first response and "
                   "resolution from the ticket's opening. Breaches include timers past due and still running.",
                   [times, sla])


def outcome_section(fig: Figures) -> Section:
    counts = outcome.satisfaction(fig.scope)
    rows = []
    for path, label in outcome.PATHS.items():
        by = counts[path]
        rated = sum(by.values())
        mean = sum(r * n for r, n in by.items()) / rated if rated else None
        rows.append([label, rated, mean, *(by[r] for r in outcome.RATINGS)])
    ratings = Table("satisfaction", "Satisfaction by path (ratings 1 to 5)", [
        Column("Path", "text"), Column("Rated"), Column("Average rating", "rating", series=True),
        *(Column(f"Rated {r}") for r in outcome.RATINGS),
    ], rows, chart="bar")
    found = outcome.resolutions(fig.scope)
    fcr = Table("resolution", "First-contact resolution and reopening", [
        Column("Path", "text"), Column("Resolved"), Column("Resolved at first contact"),
        Column("First-contact resolution (%)", "pct", series=True), Column("Reopened"),
        Column("Reopen rate (%)", "pct", series=True),
    ], [[label, r.resolved, r.first_contact, percent(r.first_contact, r.resolved), r.reopened,
         percent(r.reopened, r.resolved)] for label, r in ((outcome.PATHS[p], found[p]) for p in outcome.PATHS)],
        chart="bar")
    return Section("outcome", "Outcome", "Satisfaction by path, and whether it stayed solved: first-contact "
                   f"resolution means no reopening and no new ticket from the customer within {outcome.FCR_DAYS} "
                   "days.", [ratings, fcr])


def mood_section(fig: Figures) -> Section:
    days = mood.mood_days(fig.scope)
    total = mood.MoodDay()
    rows = []
    for d, m in days.items():
        total.add(m)
        rows.append(_mood_row(d.isoformat(), m))
    rows.append(_mood_row("Total", total))
    by_day = Table("mood-by-day", "Frustration by day (mean score, 0 calm to 1 angry)", [
        Column("Day", "text"), Column("Conversations"), Column("At the start", "score", series=True),
        Column("At the peak", "score", series=True), Column("At the end", "score", series=True),
        Column("Came down from the peak", "score"), Column("Ended below the peak (%)", "pct"),
    ], rows, chart="line", total=True)
    levels = Table("mood-levels", "Frustration levels over the range (conversations)", [
        Column("Moment", "text"), *(Column(level.capitalize(), series=True) for level in LEVELS),
    ], [[moment.capitalize(), *(total.levels[moment][level] for level in LEVELS)] for moment in mood.MOMENTS],
        chart="bar")
    return Section("mood", "Mood", "Frustration of each conversation's first, highest and last scored customer "
                   "message, and how far it came down by the end.", [by_day, levels])


def _mood_row(label: str, m: mood.MoodDay) -> list:
    start, peak, end = m.mean("start"), m.mean("peak"), m.mean("end")
    return [label, m.conversations, start, peak, end, None if peak is None else peak - end,
            percent(m.ended_below_peak, m.conversations)]


SECTIONS: dict[str, Callable[[Figures], Section]] = {
    "volume": volume_section,
    "self-service": self_service_section,
    "escalation": escalation_section,
    "speed": speed_section,
    "outcome": outcome_section,
    "mood": mood_section,
}


def build(f: Filters, keys=None) -> list[Section]:
    fig = Figures(f)
    return [SECTIONS[k](fig) for k in (keys or SECTIONS)]
