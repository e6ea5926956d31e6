"""A better phrasing for the mood the trainee was answering: our playbook lines per scenario
and level, with agent assist's suggestions (portal.agent.assist.SUGGESTIONS) beside them.

Every line follows the pattern of the de-escalation reference: acknowledge, apologise and own
it, repeat the detail back, offer options, close with a question. The one offered is the line
this customer would have valued most (the persona's own weights on the moves in it), filled
with the persona's name and order so it reads as a reply to them, never with a placeholder.
"""

from __future__ import annotations

from portal.agent.assist import PLACEHOLDER, SUGGESTIONS, fill

PLAYBOOK: dict[str, dict[str, tuple[str, ...]]] = {
    "billing_error": {
        "calm": (
            "Thanks for bearing with me, {customer_first_name}. I've found the second payment for {order_number}, "
            "and I can refund it today or keep it as credit on your account. Which would you like?",
        ),
        "annoyed": (
            "I'm sorry, {customer_first_name}, being charged twice for {order_number} is a real nuisance. I can "
            "refund the second payment now, or hold it as credit if you'd rather. Which would suit you?",
            "I understand, and I'm sorry you had to chase this. Just to confirm, there are two payments for "
            "{order_number}? I can start the refund of the second one straight away. Shall I go ahead?",
        ),
        "frustrated": (
            "I can see why you're frustrated, {customer_first_name}: you've been charged twice for {order_number} "
            "and nobody answered you. I'm sorry. I can refund the second payment today, or credit it to your "
            "account now. Which would you prefer?",
            "That sounds really stressful, and I'm sorry we left you waiting. So the payment for {order_number} "
            "went out twice. I can refund the duplicate myself today. Would you like the confirmation by email?",
        ),
        "angry": (
            "You have every right to be upset, {customer_first_name}, and I'm sorry. Two payments for "
            "{order_number} should never have happened. I can refund the second one right now, or credit your "
            "account if you'd rather. Which would you like?",
            "I hear you, and I'm sorry. Let me make sure I've got it: {order_number} was charged twice and you "
            "were left waiting for an answer. I can refund the duplicate today. Shall I start that now?",
        ),
    },
    "confused": {
        "calm": (
            "Glad that helps, {customer_first_name}. So {order_number} is working the way you expected now? I can "
            "send a short step-by-step guide as well. Would that be useful?",
        ),
        "annoyed": (
            "I understand, and I'm sorry it's been confusing. Just to check I follow: {order_number} isn't doing "
            "what you expected from the description. Which part would you like me to go through first?",
            "I can see how that would be confusing, {customer_first_name}. So {order_number} isn't doing what "
            "the description led you to expect. Could you tell me what you see on the screen right now?",
        ),
        "frustrated": (
            "I'm sorry, {customer_first_name}, you shouldn't have to puzzle this out on your own. So "
            "{order_number} isn't doing what you were told it would. I can walk you through it now, or send a "
            "short guide. Which would you prefer?",
            "That sounds frustrating, and it's not your fault. Let me make sure I understand: you expected "
            "{order_number} to do one thing and it does another? Could you tell me what you hoped it would do?",
        ),
        "angry": (
            "You're right to expect it to do what the box says, {customer_first_name}, and I'm sorry it left you "
            "feeling misled. I can go through {order_number} with you step by step, or arrange a return if it's "
            "not right for you. Which would you prefer?",
            "I hear you, and I'm sorry. Nobody should feel silly for trusting our description. So {order_number} "
            "isn't doing what you expected. Could you tell me what you need it to do, so I can check properly?",
        ),
    },
    "refund_demand": {
        "calm": (
            "Thanks, {customer_first_name}. I can issue the refund for {order_number} now, or send a replacement if "
            "you'd rather. Which would you like?",
        ),
        "annoyed": (
            "I understand, {customer_first_name}, and I'm sorry about {order_number}. I can refund it in full, or "
            "send a replacement this week. Which would suit you better?",
            "That's fair, and I'm sorry. Just to confirm, the item from {order_number} has broken? If you send one "
            "photo, I can arrange the refund today. Is that OK?",
        ),
        "frustrated": (
            "I can see why you're frustrated, {customer_first_name}: you paid for {order_number} and it let you "
            "down. I'm sorry. I can refund it in full, send a replacement, or give you store credit today. Which "
            "would you prefer?",
            "That's not good enough, and I'm sorry. So {order_number} failed after only a short time. I can refund "
            "it or replace it, and I'll handle it myself. Which would you like?",
        ),
        "angry": (
            "You have every reason to be upset, {customer_first_name}, and I'm sorry. Having {order_number} fail "
            "like that isn't acceptable. I can refund you in full today, or send a replacement if you'd rather. Which "
            "would you like?",
            "I hear you, and I'm really sorry. Let me make sure I have it right: {order_number} broke, and you want "
            "your money back. I can start that refund now. Shall I go ahead?",
        ),
    },
    "aggressive": {
        "calm": (
            "Thanks, {customer_first_name}, that's really helpful, and I'm sorry again for the wait. I can arrange "
            "the fix today and confirm it by email. Would that work for you?",
        ),
        "annoyed": (
            "I understand, and I'm sorry for the trouble. If you give me the order number, I can arrange the next "
            "step straight away. What's the number?",
            "Thanks for sticking with me. I can see this has been a real hassle, and I'm sorry. Could you give me "
            "the order number so I can see exactly what happened?",
        ),
        "frustrated": (
            "I can see why you're fed up, and I'm sorry. I want to fix this for you. Could you give me your order "
            "number so I can look at it right now?",
            "That sounds like a miserable couple of days, and I'm sorry. I'd ask that we keep it respectful so I "
            "can focus on sorting it. What's your order number?",
        ),
        "angry": (
            "I hear you, and I'm sorry this has happened. I'd ask that we keep it respectful so I can focus on "
            "fixing it. Could you give me your order number?",
            "You have every reason to be angry, and I'm sorry. Please keep it respectful and I'll stay with you "
            "until it's sorted. What's the order number?",
        ),
    },
    "inflexible": {
        "calm": (
            "Thank you, {customer_first_name}, I appreciate you hearing me out. I can arrange that for "
            "{order_number} now. Would you like the confirmation by email?",
        ),
        "annoyed": (
            "I understand why you want your money back, {customer_first_name}, and I'm glad you've stayed with "
            "us so long. I can offer store credit for the full amount of {order_number}, or an exchange. Which "
            "would suit you?",
            "That's completely fair to ask. So you'd like a refund on {order_number}. I'm sorry I can't put it "
            "back on your card now, but I can offer full credit or an exchange. Which would you prefer?",
        ),
        "frustrated": (
            "I can see why you're frustrated, {customer_first_name}, and I'm sorry this isn't the answer you "
            "hoped for. The return window for {order_number} has passed, but I can offer full store credit or "
            "an exchange today. Which would you prefer?",
            "You've been a loyal customer and that matters, {customer_first_name}. I'm sorry I can't give a cash "
            "refund on {order_number}, but I can offer credit for the full amount, or an exchange. Which would you "
            "like?",
        ),
        "angry": (
            "I hear you, {customer_first_name}, and I'm sorry. It's frustrating to be told no after so long with "
            "us. I can offer full credit for {order_number} or an exchange today. Which would suit you?",
            "You're right that loyalty should count, and I'm sorry. Let me tell you what I can do for "
            "{order_number}: I can offer full store credit, or an exchange. Would either of those help?",
        ),
    },
}
# Agent assist's lines that need nothing but a name and an order (no ticket, no agent).
ASSIST = {level: tuple(t for t in lines if set(PLACEHOLDER.findall(t)) <= {"customer_first_name", "order_number"})
          for level, lines in SUGGESTIONS.items()}


def candidates(scenario: str, level: str) -> tuple[str, ...]:
    """The templates on offer for a scenario at a mood level: ours first, then agent assist's."""
    return PLAYBOOK.get(scenario, {}).get(level, ()) + ASSIST.get(level, ())


def filled(template: str, first_name: str, order_number: str) -> str:
    return fill(template, {"customer_first_name": first_name, "order_number": order_number or "your order",
                           "ticket_number": "", "agent_name": ""})
