"""Calmline's bot: the Rasa project, and the pure-Python helpers it shares with the portal."""
