"""De-escalation coaching: recognising the moves in a reply (moves.py), each agent's measure,
and the role-play trainer build on it."""
