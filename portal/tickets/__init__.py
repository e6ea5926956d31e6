"""Tickets and their rules: teams, numbers, priority, SLA, briefings, the audit trail, mail."""
