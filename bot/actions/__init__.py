"""Calmline's Rasa actions (rasa_sdk 3.6.2). Served by bot/actions/server.py: loopback, Rasa's secret only."""

from bot.actions.handoff import ActionHandoff
from bot.actions.mood import ValidatePredefinedSlots
from bot.actions.satisfaction import ActionSubmitSatisfaction, ValidateSatisfactionForm
from bot.actions.search import ActionSearchArticles

__all__ = ["ActionHandoff", "ActionSearchArticles", "ActionSubmitSatisfaction", "ValidatePredefinedSlots",
           "ValidateSatisfactionForm"]
