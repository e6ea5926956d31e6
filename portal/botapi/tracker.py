"""Read Rasa tracker events into the stored chat: intent, confidence, entities."""

from __future__ import annotations

from portal.conversations.models import Conversation


def merge_tracker_events(conv: Conversation, events: list) -> None:
    """Attach each user event's parse data to the stored customer message with the same text.

    Messages are matched in order, so a repeated text lands on its own turn.
    """
    customer = [m for m in conv.messages if m.sender == "customer" and m.intent is None]
    position = 0
    for event in events:
        if not isinstance(event, dict) or event.get("event") != "user":
            continue
        text = event.get("text")
        parse = event.get("parse_data") if isinstance(event.get("parse_data"), dict) else {}
        intent = parse.get("intent") if isinstance(parse.get("intent"), dict) else {}
        for i in range(position, len(customer)):
            sent = (customer[i].payload or {}).get("button") or customer[i].text  # a button sends its payload
            if sent == text:
                message = customer[i]
                message.intent = str(intent.get("name") or "")[:60] or None
                confidence = intent.get("confidence")
                message.confidence = float(confidence) if isinstance(confidence, (int, float)) else None
                entities = parse.get("entities") if isinstance(parse.get("entities"), list) else []
                message.entities = [
                    {"entity": str(e.get("entity"))[:40], "value": str(e.get("value"))[:200]}
                    for e in entities if isinstance(e, dict) and e.get("entity")
                ]
                position = i + 1
                break
