"""Frustration detection for customer messages, in pure Python (no Rasa import).

    >>> from bot.frustration import score_message
    >>> score_message("Hi, where is my order BN-1048231?").level
    'calm'
    >>> score_message("You are a useless idiot.").level
    'angry'

``score_message`` scores one message (optionally against the customer's earlier ones);
``ConversationMood`` follows a whole conversation. See model.py for how the score,
the rule floors and the levels fit together, and calibrate.py for where the numbers
come from.
"""

from .conversation import ConversationMood
from .model import LEVELS, FrustrationResult, Model, WeightsError, score_message

__all__ = ["LEVELS", "ConversationMood", "FrustrationResult", "Model", "WeightsError", "score_message"]
