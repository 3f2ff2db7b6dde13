"""Roles of the columns of feedback files (reviews, tickets: -> feedback) and customer tables (a CRM export:
-> customers)."""

from __future__ import annotations

from collections.abc import Callable

from cxgap.io.proposal.formats import Sample
from cxgap.io.proposal.profile import Profile, words
from cxgap.io.proposal.roles import Claims, Scalar, matches
from cxgap.io.proposal.scales import answer_labels, is_rating, rating_scale
from cxgap.store.models import STAR_SCALE

ZENDESK: dict[str, tuple[str, str]] = {
    "Id": ("feedback_id", "Zendesk's ticket id"),
    "Created at": ("received_at", "Zendesk's time the ticket was created"),
    "Requester external id": ("customer_id", "the requester's id in your own systems"),
    "Via": ("channel", "Zendesk's channel the ticket came through"),
    "Description": ("text", "the ticket's first message"),
}
ZENDESK_UNUSED = {
    "Requester": "the requester's name: personal data, not imported",
    "Submitter": "the submitter's name: personal data, not imported",
    "Assignee": "the agent the ticket is assigned to: not a column of feedback",
}
TEXT = ("review", "text", "body", "description", "comment", "message", "content", "feedback", "post", "tweet")
TITLE = ("title", "subject", "headline", "summary")
WHEN = ("created", "received", "posted", "submitted", "date", "time", "timestamp")
SOURCES = {
    "review": "review",
    "reviews": "review",
    "ticket": "ticket",
    "tickets": "ticket",
    "chat": "chat",
    "email": "email",
    "tweet": "social",
    "tweets": "social",
    "social": "social",
    "post": "social",
}


def feedback_roles(sample: Sample, claims: Claims) -> tuple[dict[str, tuple[Scalar, str]], list[str]]:
    """Give every column of a feedback file its role; the source constant and notes."""
    if sample.export == "zendesk":
        _zendesk(claims)
    for p in claims.free():
        if (
            not claims.has("feedback_id")
            and p.unique
            and matches(p, ("id", "ticket", "review"))
            and not p.free_text
        ):
            claims.take(p, "feedback_id", f"a different value in each of {p.rows:,} rows: the text's id")
    texts = sorted(
        (p for p in claims.free() if p.free_text), key=lambda p: (not matches(p, TEXT), -p.mean_length)
    )
    for p in texts[:1]:
        word = matches(p, TEXT)
        claims.take(
            p,
            "text",
            f"{f'{word!r} in its name; ' if word else ''}free text, mean {p.mean_length:.0f} characters",
        )
    claims.first({"title": TITLE}, lambda p: p.is_text)
    if not claims.has("text") and (title := claims.role_of("title")):
        claims.retarget(title, "text", "the only text in the file")
    _time(claims)
    _rating(claims)
    claims.first(
        {"customer_id": ("customer", "requester", "author", "user", "client")},
        lambda p: not p.free_text and not p.categorical,
    )
    claims.first({"channel": ("channel", "via", "platform", "site")}, lambda p: p.categorical)
    claims.first({"touchpoint": ("touchpoint", "journey", "stage")}, lambda p: p.categorical)
    notes = [] if claims.has("text") else ["no column holds free text, and every feedback row needs one"]
    return {"source": _source(sample, claims)}, notes


def _zendesk(claims: Claims) -> None:
    for p in claims.free():
        if p.name in ZENDESK_UNUSED:
            claims.take(p, None, ZENDESK_UNUSED[p.name])
        elif p.name in ZENDESK and p.filled:
            target, why = ZENDESK[p.name]
            if target == "received_at":
                claims.take(p, target, f"{why}; {p.date_note}", date_format=p.date_format)
            else:
                claims.take(p, target, f"{why}; {p.top(2)}")
    if not claims.has("customer_id"):
        claims.first({"customer_id": ("requester id",)})
    if claims.has("text"):
        claims.first({"title": ("subject",)})
    for p in claims.free():
        if p.name == "Subject" and not claims.has("text"):
            claims.take(p, "text", "the ticket's subject: Zendesk's CSV export carries no description")


def _time(claims: Claims) -> None:
    if claims.has("received_at"):
        return
    dates = [p for p in claims.free() if p.is_date]
    dates.sort(key=lambda p: next((i for i, w in enumerate(WHEN) if matches(p, (w,))), len(WHEN)))
    for p in dates[:1]:
        claims.take(p, "received_at", f"when it was written; {p.date_note}", date_format=p.date_format)


def _rating(claims: Claims) -> None:
    for p in claims.free():
        word = matches(p, ("rating", "stars", "star", "score", "satisfaction", "rate"))
        if not word:
            continue
        if is_rating(p):
            scale = rating_scale(p, [], "star rating")
            same = (float(scale.lo), float(scale.hi)) == tuple(map(float, STAR_SCALE))
            claims.take(
                p,
                "rating",
                f"'{word}' in its name; {scale.evidence}",
                scale=None if same else (scale.lo, scale.hi),
                na=scale.na,
            )
            return
        if p.texts and (labels := answer_labels(p)):
            claims.take(p, "rating", f"'{word}' in its name; {labels.evidence}", values=labels.values)
            return


def _source(sample: Sample, claims: Claims) -> tuple[Scalar, str]:
    if sample.export == "zendesk":
        return "ticket", "Zendesk tickets"
    role = claims.role_of("text")
    found = words(sample.path.stem, role.column if role else "")
    kind = next((SOURCES[w] for w in found if w in SOURCES), "review")
    said = next((w for w in found if w in SOURCES), None)
    why = (
        f"'{said}' in the file's or the text column's name"
        if said
        else "no word says where the texts come from: reviews assumed"
    )
    return kind, why


SEGMENT = ("segment", "tier", "plan", "contract", "type", "category", "class", "package", "group")
REGION = ("region", "market", "state", "province", "city", "country", "area")
STARTED = ("start", "started", "since", "signup", "joined", "created", "opened", "first")
ENDED = ("end", "ended", "churn", "cancelled", "canceled", "left", "closed", "terminated")
CHURNED = ("churn", "churned", "left", "cancelled", "canceled", "attrition", "exited", "lost")
REVENUE = tuple("revenue mrr arr arpu charges charge spend billing amount sales fee price income".split())
VALUE = ("total", "lifetime", "ltv", "clv", "value")


def customer_roles(sample: Sample, claims: Claims) -> tuple[dict[str, tuple[Scalar, str]], list[str]]:
    """Give every column of a customer table its role; notes."""
    for p in claims.free():
        if p.unique and matches(p, ("customer", "client", "account", "id")):
            claims.take(
                p,
                "customer_id",
                f"'{matches(p, ('customer', 'client', 'account', 'id'))}' in its name; a different value in each of {p.rows:,} rows",
            )
            break
    claims.first({"name": ("name", "full name")}, lambda p: p.is_text and not p.categorical)
    claims.first({"churned": CHURNED}, lambda p: p.is_bool)
    claims.first({"started_at": STARTED, "ended_at": ENDED}, lambda p: p.is_date)
    for target in ("started_at", "ended_at"):
        if (role := claims.role_of(target)) is not None:
            claims.retarget(
                role,
                target,
                claims.profile(role.column).date_note,
                date_format=claims.profile(role.column).date_format,
            )
    _pick(claims, "segment", SEGMENT, lambda p: p.categorical)
    _pick(claims, "region", REGION, lambda p: p.is_text and p.distinct >= 2 and p.mean_length <= 64)
    _money(claims)
    notes = (
        []
        if claims.has("customer_id")
        else ["no column holds an id that differs in every row, and every customer needs one"]
    )
    return {}, notes


def _pick(claims: Claims, target: str, wanted: tuple[str, ...], test: Callable[[Profile], bool]) -> None:
    """The free column whose name has the earliest of `wanted` (they are in order of preference)."""
    found = [(wanted.index(w), p) for p in claims.free() if (w := matches(p, wanted)) and test(p)]
    if found:
        rank, p = min(found, key=lambda f: f[0])
        claims.take(p, target, f"'{wanted[rank]}' in its name; {p.distinct} values ({p.top(3)})")


def _money(claims: Claims) -> None:
    """Revenue (a monthly amount made yearly) and value (what the customer has paid in all)."""
    money = [p for p in claims.free() if p.numeric and not matches(p, ("id",))]
    for p in money:
        if not claims.has("value") and (word := matches(p, VALUE)):
            claims.take(p, "value", f"'{word}' in its name: what the customer is worth; numbers {_range(p)}")
        elif not claims.has("revenue") and (word := matches(p, REVENUE)):
            monthly = matches(p, ("monthly", "month", "mrr", "per month"))
            why = f"'{word}' in its name; numbers {_range(p)}"
            if monthly:
                claims.take(
                    p, "revenue", f"{why}; '{monthly}': a month's revenue, x12 makes it yearly", factor=12.0
                )
            else:
                claims.take(p, "revenue", f"{why}; taken as yearly revenue")


def _range(p: Profile) -> str:
    return f"{min(p.numbers):g}-{max(p.numbers):g}"
