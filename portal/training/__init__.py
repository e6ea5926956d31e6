"""The role-play trainer (/training): agents practise the five classic de-escalation scenarios
against simulated customers; supervisors follow the team's progress and add personas."""

