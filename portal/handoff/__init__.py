"""Moving a customer from the bot to a person and back: the conversation's lifecycle
(lifecycle.py, the only code that changes Conversation.status), the handoff ticket and the
relay of customer replies (tickets.py), the chat messages they write (messages.py), and
whether anybody can pick up now (availability.py).

Imports go down: chat, agent, support and forum call this package; it uses only models
(chat, support, auth), the live event log, portal.errors, auth.permissions and the ticket
rules of portal.tickets.services, never a view or another capability's services.
"""
