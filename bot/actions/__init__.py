"""Calmline's Rasa action server (rasa_sdk 3.6.2). Run: rasa run actions --actions bot.actions"""

from bot.actions.handoff import ActionHandoff
from bot.actions.mood import ValidatePredefinedSlots
from bot.actions.satisfaction import ActionSubmitSatisfaction, ValidateSatisfactionForm
from bot.actions.search import ActionSearchArticles

__all__ = ["ActionHandoff", "ActionSearchArticles", "ActionSubmitSatisfaction", "ValidatePredefinedSlots",
           "ValidateSatisfactionForm"]
