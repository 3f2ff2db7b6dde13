"""Comment wording for the demo: each topic belongs to a touchpoint and its words carry the topic."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """A planted comment topic: the touchpoint it concerns, its sentiment and its phrasings."""

    name: str
    touchpoint: str
    sentiment: str
    phrases: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        "installation_late",
        "installation",
        "negative",
        (
            "the engineer arrived hours late for the installation",
            "technician turned up late and I lost half a day waiting",
            "installation appointment was missed, the engineer came late",
            "waited all morning, the installer was very late",
        ),
    ),
    Topic(
        "support_unresolved",
        "support",
        "negative",
        (
            "support never fixed my problem",
            "my issue is still not resolved after calling support",
            "the agent could not solve the fault and nobody followed up",
            "problem still unresolved, support keeps closing the ticket",
        ),
    ),
    Topic(
        "repeat_contact",
        "support",
        "negative",
        (
            "I had to call again and explain everything from scratch",
            "had to repeat my story to three different agents",
            "called back again about the same issue, asked the same questions again",
            "every time I contact you I have to start over",
        ),
    ),
    Topic(
        "wait_time",
        "support",
        "negative",
        (
            "the hold time on the phone was far too long",
            "waited ages in the queue before anyone answered",
            "nobody picked up the phone, long waiting time",
            "on hold for twenty minutes before speaking to someone",
        ),
    ),
    Topic(
        "billing_error",
        "billing",
        "negative",
        (
            "my bill was wrong again, charged twice",
            "invoice had charges I never agreed to",
            "billing mistake, overcharged on my monthly bill",
            "the bill amount was incorrect and hard to get refunded",
        ),
    ),
    Topic(
        "app_login",
        "app",
        "negative",
        (
            "can't log in to the app since the update",
            "the app keeps rejecting my password, login fails",
            "app login broken, stuck on the sign in screen",
            "since the new app version I cannot sign in",
        ),
    ),
    Topic(
        "friendly_staff",
        "support",
        "positive",
        (
            "the support agent was friendly and helpful",
            "staff were kind, patient and knew what they were doing",
            "really helpful person on the phone, thank you",
            "polite and friendly service from your team",
        ),
    ),
    Topic(
        "fast_installation",
        "installation",
        "positive",
        (
            "installation was quick and the engineer was on time",
            "technician arrived on time and set everything up fast",
            "smooth installation, punctual and tidy engineer",
            "the installer was punctual and professional",
        ),
    ),
    Topic(
        "good_value",
        "sales",
        "positive",
        (
            "good value for money and a fair contract",
            "great price for the speed I get",
            "the deal was clear and the price fair",
            "happy with the package and the price",
        ),
    ),
)

OPENERS = ("", "Honestly, ", "Overall: ", "To be fair, ", "Well, ", "")
CLOSERS = ("", ".", "!", ". Please do better.", ". Thanks.", "...")
TOPIC_INDEX = {topic.name: i for i, topic in enumerate(TOPICS)}
# The demo [themes] entry (templates/demo.toml) each planted topic should be assigned to.
THEME_OF = {
    "installation_late": "late_engineer",
    "support_unresolved": "unresolved_problem",
    "repeat_contact": "repeat_contact",
    "wait_time": "waiting_time",
    "billing_error": "billing_error",
    "app_login": "app_login",
    "friendly_staff": "friendly_staff",
    "fast_installation": "quick_installation",
    "good_value": "price_value",
}


def planted_topic(text: str) -> str | None:
    """The planted topic whose phrasing a demo text uses (None for any other text)."""
    return next((t.name for t in TOPICS if any(p in text for p in t.phrases)), None)
