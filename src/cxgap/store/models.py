"""The cxgap schema: one typed table per kind of CX data (see docs/schema.md, generated from here).

Every column carries its documentation (`comment`) and, where it has one, its valid range or value set
(`info`), so importers, docs and database CHECK constraints all read the same definition.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Double,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SURVEY_KINDS = ("relational", "transactional")
DIRECTIONS = ("at_most", "at_least")
ROLES = ("leader", "manager", "frontline", "other")
CASE_STATUSES = ("open", "in_progress", "resolved", "closed")

NPS_SCALE = (0, 10)
CSAT_SCALE = (1, 5)
CES_SCALE = (1, 7)
ITEM_SCALE = (1, 7)
STAR_SCALE = (1, 5)


class Base(DeclarativeBase):
    """Declarative base with an explicit constraint naming convention (stable migrations)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _ranged(lo: float, hi: float) -> dict[str, Any]:
    return {"min": lo, "max": hi}


def _choice(values: tuple[str, ...]) -> dict[str, Any]:
    return {"allowed": values}


def _batch() -> Mapped[str | None]:
    return mapped_column(
        String(32), comment="Import batch that loaded the row (lineage; see import_batches)."
    )


class Customer(Base):
    """One row per customer (CRM): segment, lifetime, revenue, churn."""

    __tablename__ = "customers"
    __table_args__ = (  # an import finds its own rows on PostgreSQL (DuckDB skips row groups instead)
        Index("ix_customers_batch_id", "batch_id").ddl_if(dialect="postgresql"),
    )

    customer_id: Mapped[str] = mapped_column(
        String(128), primary_key=True, comment="The customer's id in the source system."
    )
    name: Mapped[str | None] = mapped_column(
        String(256), comment="Full name, used only to redact it from free text."
    )
    segment: Mapped[str | None] = mapped_column(
        String(64), comment="Customer segment (e.g. consumer, small business)."
    )
    region: Mapped[str | None] = mapped_column(String(64), comment="Region or market.")
    started_at: Mapped[dt.date | None] = mapped_column(Date, comment="Date the customer relationship began.")
    ended_at: Mapped[dt.date | None] = mapped_column(
        Date, comment="Date the customer left; empty while active."
    )
    churned: Mapped[bool] = mapped_column(
        Boolean,
        default=False,
        comment="True once the customer has left (derived from ended_at when a source does not say).",
    )
    revenue: Mapped[float | None] = mapped_column(
        Double, info=_ranged(0, 1e12), comment="Yearly revenue from the customer."
    )
    value: Mapped[float | None] = mapped_column(
        Double, comment="Customer value (lifetime value or a value score)."
    )
    batch_id: Mapped[str | None] = _batch()


class Response(Base):
    """One row per survey response: NPS, CSAT, CES, the 'superior' question and a comment."""

    __tablename__ = "responses"
    __table_args__ = (  # an import finds its own rows on PostgreSQL (DuckDB skips row groups instead)
        Index("ix_responses_batch_id", "batch_id").ddl_if(dialect="postgresql"),
    )

    response_id: Mapped[str] = mapped_column(
        String(128), primary_key=True, comment="Survey response id (or content hash)."
    )
    customer_id: Mapped[str | None] = mapped_column(
        String(128), index=True, comment="Respondent's customer id; empty if anonymous."
    )
    responded_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When the response was recorded.")
    survey_kind: Mapped[str] = mapped_column(
        String(16),
        info=_choice(SURVEY_KINDS),
        comment="relational (about the relationship) or transactional (about one touchpoint); never mixed silently.",
    )
    touchpoint: Mapped[str | None] = mapped_column(
        String(64), comment="Journey stage the response is about (transactional surveys)."
    )
    channel: Mapped[str | None] = mapped_column(
        String(64), comment="Channel of the experience (web, app, phone, store...)."
    )
    nps: Mapped[int | None] = mapped_column(
        Integer, info=_ranged(*NPS_SCALE), comment="Likelihood to recommend, 0-10."
    )
    csat: Mapped[float | None] = mapped_column(
        Double,
        info=_ranged(*CSAT_SCALE),
        comment="Satisfaction, 1-5; exact when converted from another scale (6 on 1-7 is 4.333...).",
    )
    ces: Mapped[float | None] = mapped_column(
        Double,
        info=_ranged(*CES_SCALE),
        comment="Customer effort, 1-7 (7 = very easy); exact when converted from another scale.",
    )
    superior: Mapped[bool | None] = mapped_column(
        Boolean, comment="Customer agrees the company's experience is superior to competitors'."
    )
    comment: Mapped[str | None] = mapped_column(Text, comment="Free-text answer.")
    survey: Mapped[str | None] = mapped_column(
        String(64), comment="The hosted survey that collected it (empty: imported from elsewhere)."
    )
    survey_version: Mapped[int | None] = mapped_column(
        Integer, comment="The version of that survey's wording the respondent saw."
    )
    batch_id: Mapped[str | None] = _batch()


class ResponseItem(Base):
    """Item ratings of a response in long form: perception, expectation and importance per item (SERVQUAL)."""

    __tablename__ = "response_items"
    __table_args__ = (  # an import finds its own rows on PostgreSQL (DuckDB skips row groups instead)
        Index("ix_response_items_batch_id", "batch_id").ddl_if(dialect="postgresql"),
    )

    response_id: Mapped[str] = mapped_column(
        String(128), primary_key=True, comment="The response this rating belongs to."
    )
    item: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="Item (attribute) code; cxgap.toml maps items to dimensions."
    )
    perception: Mapped[float | None] = mapped_column(
        Double, info=_ranged(*ITEM_SCALE), comment="Perceived performance on the item, 1-7."
    )
    expectation: Mapped[float | None] = mapped_column(
        Double, info=_ranged(*ITEM_SCALE), comment="Expected performance on the item, 1-7."
    )
    importance: Mapped[float | None] = mapped_column(
        Double, info=_ranged(*ITEM_SCALE), comment="Customer's stated importance of the item, 1-7."
    )
    touchpoint: Mapped[str | None] = mapped_column(
        String(64),
        comment="Copy of the response's touchpoint, kept by the loader (gaps read items in one pass).",
    )
    survey_kind: Mapped[str | None] = mapped_column(
        String(16), comment="Copy of the response's survey kind, kept by the loader."
    )
    segment: Mapped[str | None] = mapped_column(
        String(64), comment="Copy of the respondent's customer segment, kept in step by every import."
    )
    channel: Mapped[str | None] = mapped_column(
        String(64), comment="Copy of the response's channel, kept by the loader (filters)."
    )
    month: Mapped[dt.date | None] = mapped_column(
        Date, comment="First day of the response's month, kept by the loader (period filters)."
    )
    batch_id: Mapped[str | None] = _batch()


class Feedback(Base):
    """Unstructured feedback: reviews, social posts, tickets, chats, with an optional rating."""

    __tablename__ = "feedback"
    __table_args__ = (  # an import finds its own rows on PostgreSQL (DuckDB skips row groups instead)
        Index("ix_feedback_batch_id", "batch_id").ddl_if(dialect="postgresql"),
    )

    feedback_id: Mapped[str] = mapped_column(
        String(128), primary_key=True, comment="Source id of the text (or content hash)."
    )
    source: Mapped[str] = mapped_column(
        String(32), comment="Where the text came from: review, social, ticket, chat, email, survey..."
    )
    received_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime, comment="When it was written or received."
    )
    customer_id: Mapped[str | None] = mapped_column(
        String(128), index=True, comment="Author's customer id, when known."
    )
    touchpoint: Mapped[str | None] = mapped_column(String(64), comment="Touchpoint it concerns, when known.")
    channel: Mapped[str | None] = mapped_column(String(64), comment="Channel it arrived through.")
    rating: Mapped[float | None] = mapped_column(
        Double, info=_ranged(*STAR_SCALE), comment="Star rating given with the text, 1-5."
    )
    title: Mapped[str | None] = mapped_column(String(512), comment="Subject or title.")
    text: Mapped[str] = mapped_column(Text, comment="The text itself.")
    batch_id: Mapped[str | None] = _batch()


class Interaction(Base):
    """Operational events: contacts, visits, bookings; with waits, misses, resolution, repeats and punctuality."""

    __tablename__ = "interactions"
    __table_args__ = (  # an import finds its own rows on PostgreSQL (DuckDB skips row groups instead)
        Index("ix_interactions_batch_id", "batch_id").ddl_if(dialect="postgresql"),
    )

    interaction_id: Mapped[str] = mapped_column(
        String(128), primary_key=True, comment="Operational event id (or content hash)."
    )
    customer_id: Mapped[str | None] = mapped_column(String(128), index=True, comment="Customer involved.")
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When the event started.")
    touchpoint: Mapped[str] = mapped_column(
        String(64), comment="Journey stage (sales, ordering, installation, billing, support...)."
    )
    channel: Mapped[str | None] = mapped_column(
        String(64), comment="phone, chat, email, web, app, store, field..."
    )
    kind: Mapped[str] = mapped_column(
        String(32), comment="What happened: call, chat, visit, booking, bill, ticket..."
    )
    reason: Mapped[str | None] = mapped_column(String(64), comment="The customer's need or contact reason.")
    wait_seconds: Mapped[float | None] = mapped_column(
        Double, info=_ranged(0, 1e8), comment="Time the customer waited before being served, seconds."
    )
    handled: Mapped[bool | None] = mapped_column(
        Boolean, comment="False when the contact was missed or abandoned."
    )
    resolved: Mapped[bool | None] = mapped_column(
        Boolean, comment="The need was resolved in this interaction."
    )
    repeat_contact: Mapped[bool | None] = mapped_column(
        Boolean, comment="The customer had to ask the same again."
    )
    on_time: Mapped[bool | None] = mapped_column(
        Boolean, comment="Delivered at the promised/booked time (visits, bookings, deliveries)."
    )
    delay_minutes: Mapped[float | None] = mapped_column(
        Double, comment="Minutes late against the booked time (negative: early)."
    )
    team: Mapped[str | None] = mapped_column(String(64), comment="Team that handled it.")
    agent: Mapped[str | None] = mapped_column(String(64), comment="Agent or technician that handled it.")
    duration_seconds: Mapped[float | None] = mapped_column(
        Double, info=_ranged(0, 1e8), comment="Handling time, seconds."
    )
    batch_id: Mapped[str | None] = _batch()


class Standard(Base):
    """The company's own service standards (SLA targets) per touchpoint and metric."""

    __tablename__ = "standards"

    touchpoint: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="Touchpoint the standard applies to."
    )
    metric: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="Operational metric (e.g. wait_seconds, on_time_rate)."
    )
    target: Mapped[float] = mapped_column(Double, comment="The company's own target for the metric.")
    direction: Mapped[str] = mapped_column(
        String(16),
        info=_choice(DIRECTIONS),
        comment="at_most (lower is better) or at_least (higher is better).",
    )
    unit: Mapped[str | None] = mapped_column(String(32), comment="Unit of target (seconds, hours, share...).")
    customer_expectation: Mapped[float | None] = mapped_column(
        Double, comment="What customers expect for the same metric, when known (design gap)."
    )
    description: Mapped[str | None] = mapped_column(Text, comment="The standard in words.")
    batch_id: Mapped[str | None] = _batch()


class Promise(Base):
    """What marketing and service promise customers, per touchpoint and metric."""

    __tablename__ = "promises"

    touchpoint: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="Touchpoint the promise is about."
    )
    metric: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="Operational metric the promise can be checked against."
    )
    promised_value: Mapped[float] = mapped_column(Double, comment="The value promised to customers.")
    direction: Mapped[str] = mapped_column(
        String(16), info=_choice(DIRECTIONS), comment="at_most or at_least."
    )
    unit: Mapped[str | None] = mapped_column(String(32), comment="Unit of promised_value.")
    wording: Mapped[str | None] = mapped_column(Text, comment="The promise as customers read it.")
    medium: Mapped[str | None] = mapped_column(
        String(64), comment="Where it was made: website, advert, contract..."
    )
    batch_id: Mapped[str | None] = _batch()


class Belief(Base):
    """Internal respondents' (leaders', staff's) beliefs about customers' ratings, expectations and priorities."""

    __tablename__ = "beliefs"

    belief_id: Mapped[str] = mapped_column(
        String(128), primary_key=True, comment="Answer id (or content hash)."
    )
    respondent_id: Mapped[str] = mapped_column(
        String(128), comment="Internal respondent (leader or employee) id."
    )
    role: Mapped[str] = mapped_column(
        String(16), info=_choice(ROLES), comment="leader, manager, frontline or other."
    )
    surveyed_at: Mapped[dt.date | None] = mapped_column(Date, comment="Date of the internal survey.")
    touchpoint: Mapped[str | None] = mapped_column(
        String(64), comment="Touchpoint the belief is about (empty: the company overall)."
    )
    dimension: Mapped[str | None] = mapped_column(
        String(64), comment="Service-quality dimension the belief is about."
    )
    item: Mapped[str | None] = mapped_column(String(64), comment="Item the belief is about.")
    believed_rating: Mapped[float | None] = mapped_column(
        Double, info=_ranged(*ITEM_SCALE), comment="Rating the respondent believes customers give, 1-7."
    )
    believed_expectation: Mapped[float | None] = mapped_column(
        Double, info=_ranged(*ITEM_SCALE), comment="Expectation the respondent believes customers hold, 1-7."
    )
    stated_importance: Mapped[float | None] = mapped_column(
        Double,
        info=_ranged(*ITEM_SCALE),
        comment="How much the respondent thinks it matters to customers, 1-7.",
    )
    believed_nps: Mapped[float | None] = mapped_column(
        Double, info=_ranged(-100, 100), comment="NPS the respondent believes customers give, -100..100."
    )
    superior: Mapped[bool | None] = mapped_column(
        Boolean, comment="Respondent believes the company delivers a superior experience."
    )
    believed_csat: Mapped[float | None] = mapped_column(
        Double, info=_ranged(*CSAT_SCALE), comment="Mean CSAT the respondent believes customers give, 1-5."
    )
    believed_superior_share: Mapped[float | None] = mapped_column(
        Double,
        info=_ranged(0, 100),
        comment="Share of customers (%) the respondent believes call the experience superior.",
    )
    survey: Mapped[str | None] = mapped_column(
        String(64), comment="The hosted survey that collected it (empty: imported from elsewhere)."
    )
    survey_version: Mapped[int | None] = mapped_column(
        Integer, comment="The version of that survey's wording the respondent saw."
    )
    batch_id: Mapped[str | None] = _batch()


class Outcome(Base):
    """Business outcomes per customer and period: revenue, churn, contacts."""

    __tablename__ = "outcomes"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True, comment="Customer.")
    period: Mapped[dt.date] = mapped_column(
        Date, primary_key=True, comment="First day of the period (month or quarter)."
    )
    revenue: Mapped[float | None] = mapped_column(Double, comment="Revenue from the customer in the period.")
    churned: Mapped[bool | None] = mapped_column(Boolean, comment="The customer left during the period.")
    contacts: Mapped[int | None] = mapped_column(
        Integer, info=_ranged(0, 1_000_000), comment="Service contacts in the period (cost driver)."
    )
    batch_id: Mapped[str | None] = _batch()


class Case(Base):
    """Closed-loop cases opened from feedback or operations, with owner, deadline and root cause."""

    __tablename__ = "cases"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True, comment="Case id.")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When the case was opened.")
    customer_id: Mapped[str | None] = mapped_column(
        String(128), index=True, comment="Customer concerned (inner loop)."
    )
    touchpoint: Mapped[str | None] = mapped_column(String(64), comment="Touchpoint concerned.")
    trigger_kind: Mapped[str] = mapped_column(
        String(32), comment="What opened it: response, feedback, interaction, health, manual."
    )
    trigger_id: Mapped[str | None] = mapped_column(String(128), comment="Id of the record that triggered it.")
    rule: Mapped[str | None] = mapped_column(String(64), comment="Name of the rule that opened it.")
    team: Mapped[str | None] = mapped_column(String(64), comment="Owning team.")
    owner: Mapped[str | None] = mapped_column(String(128), comment="Owning person.")
    status: Mapped[str] = mapped_column(
        String(16), info=_choice(CASE_STATUSES), comment="open, in_progress, resolved or closed."
    )
    due_at: Mapped[dt.datetime | None] = mapped_column(DateTime, comment="Deadline from the rule's SLA.")
    root_cause: Mapped[str | None] = mapped_column(
        String(64), comment="Root-cause code from the configured list."
    )
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, comment="When it was resolved.")
    closed_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime, comment="When it was closed after follow-up."
    )
    summary: Mapped[str | None] = mapped_column(Text, comment="What the case is about.")
    segment: Mapped[str | None] = mapped_column(
        String(64), comment="Segment of the customer when the case opened (routing)."
    )
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime, comment="Last change.")
    first_action_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime, comment="First time a person acted on it (started, noted, assigned, resolved)."
    )
    reopen_count: Mapped[int | None] = mapped_column(Integer, comment="How often it was reopened.")
    follow_up_score: Mapped[float | None] = mapped_column(
        Double, comment="The customer's follow-up answer (e.g. NPS 0-10 or CSAT) after resolution."
    )
    follow_up_at: Mapped[dt.datetime | None] = mapped_column(DateTime, comment="When the follow-up came.")
    issue_id: Mapped[str | None] = mapped_column(
        String(64), comment="Systemic issue (outer loop) the case belongs to."
    )
    version: Mapped[int | None] = mapped_column(
        Integer, comment="Changes so far; an update names the version it read, so none is lost."
    )
    batch_id: Mapped[str | None] = _batch()


class ImportBatch(Base):
    """One row per import: what was read, loaded, already present and quarantined."""

    __tablename__ = "import_batches"

    batch_id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="Batch id.")
    table_name: Mapped[str] = mapped_column(String(64), comment="Table the batch loaded.")
    source: Mapped[str] = mapped_column(Text, comment="Source file path (or 'demo').")
    source_sha256: Mapped[str | None] = mapped_column(String(64), comment="SHA-256 of the source file.")
    mapping: Mapped[str | None] = mapped_column(Text, comment="The mapping used, as TOML.")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="Start of the import.")
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="Commit time of the import.")
    rows_read: Mapped[int] = mapped_column(Integer, comment="Data rows read from the source.")
    lines_read: Mapped[int | None] = mapped_column(
        Integer,
        comment="Physical lines read (header and blank lines included; records for Parquet; empty for the demo).",
    )
    rows_loaded: Mapped[int] = mapped_column(Integer, comment="Rows newly loaded.")
    rows_existing: Mapped[int] = mapped_column(
        Integer, comment="Rows already in the store (same key), not loaded again."
    )
    rows_quarantined: Mapped[int] = mapped_column(
        Integer, comment="Rows refused, with reasons in quarantine."
    )
    removed_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime,
        comment="When the batch's rows were taken back out of the store (`cxgap batches remove`); empty while they are in it.",
    )


class QuarantinedRow(Base):
    """Rows an import refused, with their source row number, the column at fault and every reason."""

    __tablename__ = "quarantine"

    batch_id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="Batch that read the row.")
    source_row: Mapped[int] = mapped_column(
        Integer, primary_key=True, comment="Row number in the source file (header = row 1)."
    )
    source_row_end: Mapped[int | None] = mapped_column(
        Integer, comment="Last source line of the row, when it spans several lines (a quoted line break)."
    )
    column_name: Mapped[str | None] = mapped_column(
        String(256), comment="Source column at fault (first problem)."
    )
    reason: Mapped[str] = mapped_column(Text, comment="Every problem found in the row, in words.")
    raw: Mapped[str | None] = mapped_column(Text, comment="The raw row as read, JSON.")


class CustomerTouchpoint(Base):
    """Derived: which customer touched which touchpoint, how often and when; every import of interactions
    adds its own counts (reach and journeys read this instead of counting distinct customers each time)."""

    __tablename__ = "customer_touchpoints"
    # no key constraint on DuckDB: it deletes rows from an indexed table very slowly (a rebuild) and joins
    # by scanning anyway; PostgreSQL's unique index finds each pair an import adds (ON CONFLICT)
    __table__ = Table(
        "customer_touchpoints",
        Base.metadata,
        Column("customer_id", String(128), nullable=False, comment="Customer id."),
        Column("touchpoint", String(64), nullable=False, comment="Touchpoint touched."),
        Column("interactions", Integer, nullable=False, comment="Interactions of the customer there."),
        Column("first_at", DateTime, comment="First interaction there."),
        Column("last_at", DateTime, comment="Latest interaction there."),
        Index("ix_customer_touchpoints_pair", "customer_id", "touchpoint", unique=True).ddl_if(
            dialect="postgresql"
        ),
    )
    __mapper_args__ = {"primary_key": [__table__.c.customer_id, __table__.c.touchpoint]}


def _moments(*names: str, squares: bool = True) -> list[Column[Any]]:
    """Sufficient statistics of each named value: count of non-missing values, sum and sum of squares."""
    parts = ("n", "sum", "sumsq") if squares else ("n", "sum")
    words = {"n": "values of", "sum": "sum of", "sumsq": "sum of squares of"}
    return [
        Column(f"{part}_{name}", Integer if part == "n" else Double, comment=f"{words[part]} {name}")
        for name in names
        for part in parts
    ]


class ItemRollup(Base):
    """Derived: sufficient statistics of item ratings per survey kind, touchpoint, segment, channel, month
    and item (gap = perception - expectation on ratings that have both); every import of responses or customers
    merges its ratings in, so the gap engine reads a few thousand rows instead of every rating, for any filter."""

    __tablename__ = "rollup_items"
    __table__ = Table(
        "rollup_items",
        Base.metadata,
        Column("cell", Integer, primary_key=True, autoincrement=False, comment="Row number."),
        Column("survey_kind", String(16), comment="Survey kind of the ratings."),
        Column("touchpoint", String(64), comment="Touchpoint of the ratings' responses."),
        Column("segment", String(64), comment="Customer segment of the respondents."),
        Column("channel", String(64), comment="Channel of the ratings' responses."),
        Column("month", Date, comment="First day of the month of the ratings' responses."),
        Column("item", String(64), nullable=False, comment="Item code."),
        *_moments("gap", "perception", "expectation", "importance"),
    )


class InteractionRollup(Base):
    """Derived: sufficient statistics of every measured interaction column per touchpoint, kind, customer
    segment, channel and month; every import of interactions or customers merges its rows in."""

    __tablename__ = "rollup_interactions"
    __table__ = Table(
        "rollup_interactions",
        Base.metadata,
        Column("cell", Integer, primary_key=True, autoincrement=False, comment="Row number."),
        Column("touchpoint", String(64), comment="Touchpoint."),
        Column("kind", String(32), comment="Interaction kind."),
        Column("segment", String(64), comment="Segment of the interactions' customers."),
        Column("channel", String(64), comment="Channel of the interactions."),
        Column("month", Date, comment="First day of the interactions' month."),
        Column("interactions", Integer, nullable=False, comment="Interactions in the cell."),
        *_moments("wait_seconds", "duration_seconds", "delay_minutes"),
        *_moments("handled", "resolved", "repeat_contact", "on_time", squares=False),
    )


class TextEmbedding(Base):
    """Derived: embeddings of free texts by content hash and model, so a rerun embeds only new texts."""

    __tablename__ = "text_embeddings"

    text_hash: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="SHA-256 of the (redacted, NFC) text."
    )
    model: Mapped[str] = mapped_column(String(64), primary_key=True, comment="Embedding model name.")
    vector: Mapped[str] = mapped_column(Text, comment="The embedding: float32 little-endian, base64.")


class CaseEvent(Base):
    """The audit log of cases: every change, who made it and when; rows are only ever added."""

    __tablename__ = "case_events"

    event_id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="Event id.")
    case_id: Mapped[str] = mapped_column(String(64), index=True, comment="The case changed.")
    happened_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When.")
    actor: Mapped[str] = mapped_column(String(128), comment="Who: a user, or 'rules' for automatic cases.")
    action: Mapped[str] = mapped_column(
        String(32),
        comment="created, started, assigned, noted, root_cause, resolved, closed, reopened, follow_up, linked.",
    )
    from_status: Mapped[str | None] = mapped_column(String(16), comment="Status before.")
    to_status: Mapped[str | None] = mapped_column(String(16), comment="Status after.")
    detail: Mapped[str | None] = mapped_column(Text, comment="What changed, as JSON; a note's text.")


class SystemicIssue(Base):
    """The outer loop: cases grouped by root cause and touchpoint, with an owner, an improvement action and
    the gap it is meant to close."""

    __tablename__ = "systemic_issues"

    issue_id: Mapped[str] = mapped_column(String(64), primary_key=True, comment="Issue id.")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When it was raised.")
    root_cause: Mapped[str] = mapped_column(String(64), comment="Root-cause code of its cases.")
    touchpoint: Mapped[str | None] = mapped_column(String(64), comment="Touchpoint of its cases.")
    title: Mapped[str] = mapped_column(Text, comment="What the issue is, in words.")
    owner: Mapped[str | None] = mapped_column(String(128), comment="Who owns the improvement.")
    team: Mapped[str | None] = mapped_column(String(64), comment="Owning team.")
    action: Mapped[str | None] = mapped_column(Text, comment="The improvement action.")
    action_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime, comment="When the action took effect (the gap engine compares before and after)."
    )
    gap_kind: Mapped[str | None] = mapped_column(String(32), comment="Kind of the gap it should close.")
    gap_subject: Mapped[str | None] = mapped_column(String(128), comment="Subject of that gap.")
    status: Mapped[str] = mapped_column(String(16), comment="open, acting or done.")
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime, comment="Last change.")
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime, comment="When the issue was marked done.")
    version: Mapped[int | None] = mapped_column(
        Integer, comment="Increases with every change; an update names the version it read."
    )


class IssueEvent(Base):
    """The audit log of systemic issues: raised, cases linked, action planned, done; rows are only added."""

    __tablename__ = "issue_events"

    event_id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="Event id.")
    issue_id: Mapped[str] = mapped_column(String(64), index=True, comment="The systemic issue changed.")
    happened_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When.")
    actor: Mapped[str] = mapped_column(String(128), comment="Who.")
    action: Mapped[str] = mapped_column(
        String(32), comment="raised, linked, planned, assigned, done, reopened."
    )
    detail: Mapped[str | None] = mapped_column(Text, comment="What changed, as JSON.")


class PlaybookAssignment(Base):
    """Who each playbook acted on and whom it left alone on purpose (the holdout), once per cooldown period."""

    __tablename__ = "playbook_assignments"

    playbook: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="Playbook name in cxgap.toml."
    )
    customer_id: Mapped[str] = mapped_column(
        String(128), primary_key=True, index=True, comment="Customer it qualified."
    )
    period: Mapped[int] = mapped_column(
        Integer,
        primary_key=True,
        autoincrement=False,
        comment="Cooldown period (days since 1970 / cooldown_days).",
    )
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When the run assigned the customer.")
    arm: Mapped[str] = mapped_column(
        String(16), comment="treated (a case was opened) or holdout (left alone)."
    )
    run_id: Mapped[str] = mapped_column(String(32), comment="The playbook run.")
    health: Mapped[float | None] = mapped_column(Double, comment="Health score (0-100) when assigned.")
    risk: Mapped[float | None] = mapped_column(Double, comment="Churn risk within the horizon when assigned.")
    revenue: Mapped[float | None] = mapped_column(Double, comment="Yearly revenue when assigned.")
    case_id: Mapped[str | None] = mapped_column(String(64), comment="The case opened (treated only).")


class User(Base):
    """People and services that use the API, with a role and (team members) a team."""

    __tablename__ = "users"

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True, comment="User name.")
    role: Mapped[str] = mapped_column(String(16), comment="admin, analyst, team_lead, team_member or viewer.")
    team: Mapped[str | None] = mapped_column(String(64), comment="Team (team members see only its cases).")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When the user was added.")
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, comment="When access was withdrawn.")
    password_hash: Mapped[str | None] = mapped_column(
        String(256), comment="Argon2id hash of the password (empty: API tokens only, no browser sign-in)."
    )
    email: Mapped[str | None] = mapped_column(String(320), comment="Where their notifications go.")


class ApiToken(Base):
    """API tokens: only a hash of the secret is stored; a revoked token is refused."""

    __tablename__ = "api_tokens"

    token_id: Mapped[str] = mapped_column(String(16), primary_key=True, comment="Public part of the token.")
    user_id: Mapped[str] = mapped_column(String(128), index=True, comment="Whose token it is.")
    secret_hash: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the secret part, hex.")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When it was issued.")
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, comment="When it was revoked.")


class WebSession(Base):
    """Browser sessions of signed-in people: only a hash of the session id is stored, so a copy of the
    database signs nobody in; idle and absolute expiry are judged from the two times."""

    __tablename__ = "web_sessions"

    session_hash: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="SHA-256 of the session id, hex."
    )
    user_id: Mapped[str] = mapped_column(String(128), index=True, comment="Who signed in.")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When they signed in.")
    seen_at: Mapped[dt.datetime] = mapped_column(
        DateTime, comment="Their last request (for the idle expiry)."
    )


class SignInFailure(Base):
    """Failed sign-ins per user name (existing or not): repeated failures lock that name for a while."""

    __tablename__ = "sign_in_failures"

    failure_id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="Random id of the attempt.")
    user_name: Mapped[str] = mapped_column(
        String(128), index=True, comment="The name tried (it may not exist)."
    )
    failed_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When the attempt failed.")


class DerivedState(Base):
    """Derived data left to rebuild: an API ingest of customers, or one replacing rows, marks the rollups
    stale, and the next analysis rebuilds them once instead of once per webhook (ingested responses and
    interactions are merged instead: pending_batches)."""

    __tablename__ = "derived_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True, comment="What is stale (rollups).")
    stale_since: Mapped[dt.datetime] = mapped_column(DateTime, comment="Since when.")


class PendingBatch(Base):
    """Derived: a batch added while its rollup was left to merge later (an API ingest): the next analysis
    merges these batches' own rows instead of rebuilding the rollups from every stored row."""

    __tablename__ = "pending_batches"

    batch_id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="The batch left to merge.")
    table_name: Mapped[str] = mapped_column(String(32), comment="What it added: responses or interactions.")
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When it was added.")


class ViewResult(Base):
    """A dashboard result kept for a store version: the default views are computed once after an import
    and survive a restart of the server, so nobody waits for a cold computation the server already did."""

    __tablename__ = "view_results"

    view_key: Mapped[str] = mapped_column(
        String(512), primary_key=True, comment="Which result: the view's name and filters, as text."
    )
    store_version: Mapped[str] = mapped_column(
        String(128), comment="The store version (import count and last import's end) it was computed for."
    )
    payload: Mapped[bytes] = mapped_column(LargeBinary, comment="The result object, serialised.")
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When it was computed.")
    seconds: Mapped[float] = mapped_column(Double, comment="How long it took to compute.")


class SavedView(Base):
    """A person's named dashboard view: a page and its filters, opened again from a list or shared as a
    link (the link carries the filters, so whoever opens it sees the same slice under their own role)."""

    __tablename__ = "saved_views"

    view_id: Mapped[str] = mapped_column(String(32), primary_key=True, comment="Random id of the view.")
    user_id: Mapped[str] = mapped_column(String(128), index=True, comment="Whose view it is.")
    name: Mapped[str] = mapped_column(String(200), comment="The name its owner gave it.")
    path: Mapped[str] = mapped_column(String(200), comment="The page, such as /risk.")
    query: Mapped[str] = mapped_column(Text, comment="The page's filters as a URL query string.")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When it was saved.")


class CaseTrigger(Base):
    """Every record that opened or joined a case: a customer's detractor answer and their unresolved call
    in one rule run open one case with two triggers (rules that group by customer)."""

    __tablename__ = "case_triggers"

    rule: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="The rule that matched the record."
    )
    trigger_kind: Mapped[str] = mapped_column(
        String(32), primary_key=True, comment="response, feedback or interaction."
    )
    trigger_id: Mapped[str] = mapped_column(String(128), primary_key=True, comment="Id of the record.")
    case_id: Mapped[str] = mapped_column(String(64), index=True, comment="The case it opened or joined.")
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When it was attached.")
    summary: Mapped[str | None] = mapped_column(Text, comment="What the record says (redacted).")


class NotifyPreference(Base):
    """Which events a person is told of, and whether at once or in the daily digest."""

    __tablename__ = "notify_preferences"

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True, comment="Whose preference.")
    event: Mapped[str] = mapped_column(
        String(32),
        primary_key=True,
        comment="case_assigned, case_due, case_overdue, emerging_issue, playbook_run or digest.",
    )
    enabled: Mapped[bool] = mapped_column(Boolean, comment="Whether they are told of it at all.")
    in_digest: Mapped[bool] = mapped_column(Boolean, comment="Told in the daily digest instead of at once.")


class Notification(Base):
    """The outbox and delivery log: one row per event, recipient and channel, so each is delivered once;
    a failed attempt is retried with backoff and its reason kept."""

    __tablename__ = "notifications"

    notification_id: Mapped[str] = mapped_column(
        String(64),
        primary_key=True,
        comment="Derived from the event, recipient and channel: each is delivered once.",
    )
    event: Mapped[str] = mapped_column(String(32), comment="What happened (see notify_preferences).")
    event_key: Mapped[str] = mapped_column(String(256), comment="Which occurrence of it.")
    recipient: Mapped[str] = mapped_column(String(128), comment="A user, or a webhook's name.")
    channel: Mapped[str] = mapped_column(String(16), comment="email or webhook.")
    subject: Mapped[str] = mapped_column(Text, comment="The subject line (redacted).")
    body: Mapped[str] = mapped_column(Text, comment="The message (redacted).")
    status: Mapped[str] = mapped_column(
        String(16),
        index=True,
        comment="pending, sending (claimed by a sender, until its lease ends), sent or failed.",
    )
    attempts: Mapped[int] = mapped_column(Integer, comment="Delivery attempts so far.")
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, comment="When to try again.")
    last_error: Mapped[str | None] = mapped_column(Text, comment="Why the last attempt failed.")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When it was queued.")
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, comment="When it was delivered.")


class StoreMeta(Base):
    """Facts about the store itself, such as the calendar the demo company runs on (`loop_clock`)."""

    __tablename__ = "store_meta"

    name: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="What the fact is (e.g. loop_clock)."
    )
    value: Mapped[str] = mapped_column(Text, comment="Its value, as text.")


SURVEY_STATUSES = ("draft", "published", "closed")
INVITATION_STATUSES = ("skipped", "pending", "sent", "opened", "partial", "answered", "failed", "expired")


class Survey(Base):
    """A survey cxgap hosts: its name, who answers it, whether it is collecting, and its latest wording."""

    __tablename__ = "surveys"

    name: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="The survey's short name (a slug)."
    )
    title: Mapped[str] = mapped_column(Text, comment="Its title in the default language.")
    audience: Mapped[str] = mapped_column(String(16), comment="customers, or staff (the belief survey).")
    status: Mapped[str] = mapped_column(String(16), comment="draft, published (collecting) or closed.")
    version: Mapped[int] = mapped_column(Integer, comment="Its latest version (the one the editor shows).")
    published_version: Mapped[int | None] = mapped_column(
        Integer, comment="The version respondents are asked now (empty until published)."
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When it was created.")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When it last changed.")
    created_by: Mapped[str | None] = mapped_column(String(128), comment="Who created it.")


class SurveyVersion(Base):
    """Every wording a survey has had: answers point to the version that was asked, never to a later edit."""

    __tablename__ = "survey_versions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True, comment="The survey.")
    version: Mapped[int] = mapped_column(Integer, primary_key=True, comment="1, 2, ... in order of saving.")
    definition: Mapped[str] = mapped_column(Text, comment="The survey definition as TOML.")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When it was saved.")
    created_by: Mapped[str | None] = mapped_column(String(128), comment="Who saved it.")


class SurveyContact(Base):
    """Where a customer's or staff member's invitations go: the contact list, read by invitations only."""

    __tablename__ = "survey_contacts"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True, comment="customer or staff.")
    recipient_id: Mapped[str] = mapped_column(
        String(128), primary_key=True, comment="The customer's id, or the staff member's id."
    )
    email: Mapped[str] = mapped_column(String(320), comment="Where invitations are sent.")
    language: Mapped[str | None] = mapped_column(String(16), comment="Preferred language (e.g. en, de).")
    role: Mapped[str | None] = mapped_column(
        String(16), comment="Staff only: leader, manager, frontline or other (beliefs.role)."
    )
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When the contact was added.")


class SurveyOptOut(Base):
    """Someone who asked never to be surveyed again: kept forever, by id and by a hash of the address."""

    __tablename__ = "survey_opt_outs"

    opt_out_key: Mapped[str] = mapped_column(
        String(128), primary_key=True, comment="customer:<id>, staff:<id> or email:<sha256 of the address>."
    )
    opted_out_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When they opted out.")
    how: Mapped[str] = mapped_column(String(32), comment="link (the survey page), admin or import.")


class SurveyInvitation(Base):
    """One invitation to answer a survey, or one that was not sent and why: every contact decision is kept."""

    __tablename__ = "survey_invitations"

    invitation_id: Mapped[str] = mapped_column(
        String(64), primary_key=True, comment="Random id, in the link's token."
    )
    survey: Mapped[str] = mapped_column(String(64), index=True, comment="The survey.")
    version: Mapped[int | None] = mapped_column(Integer, comment="The survey version it invites to.")
    recipient_kind: Mapped[str] = mapped_column(String(16), comment="customer, staff or anonymous.")
    recipient_id: Mapped[str | None] = mapped_column(
        String(128), index=True, comment="The customer or staff member (empty: an anonymous respondent)."
    )
    reason: Mapped[str] = mapped_column(
        String(32), comment="transactional, pulse, beliefs, manual, widget or anonymous."
    )
    trigger_id: Mapped[str | None] = mapped_column(
        String(128),
        comment="What triggered it: the interaction id (transactional), <trigger>@<time> (a pulse wave), the trigger's name (a staff list) or invite@<time> (a manual send); empty for a hand-made link.",
    )
    touchpoint: Mapped[str | None] = mapped_column(String(64), comment="The touchpoint it asks about.")
    status: Mapped[str] = mapped_column(
        String(16),
        index=True,
        comment="skipped, pending, sent, opened, partial, answered, failed or expired.",
    )
    why_not: Mapped[str | None] = mapped_column(
        Text, comment="Why it was not sent (opted out, asked within N days, daily cap, no address...)."
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, comment="When the decision was made.")
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, comment="When the invitation went out.")
    reminders: Mapped[int] = mapped_column(Integer, default=0, comment="Reminders sent so far.")
    reminded_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime, comment="When the last reminder went out."
    )
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, comment="When its link stops working.")
    opened_at: Mapped[dt.datetime | None] = mapped_column(DateTime, comment="When its link was first opened.")
    answered_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime, comment="When it was answered (single use)."
    )
    response_id: Mapped[str | None] = mapped_column(String(128), comment="The stored answer's id.")
    partial: Mapped[str | None] = mapped_column(
        Text, comment="Answers saved before submitting, as JSON (free text redacted)."
    )
    last_error: Mapped[str | None] = mapped_column(Text, comment="Why the last send failed.")


class SurveyAnswer(Base):
    """Every answer of a hosted survey as given (choices included), by response and question."""

    __tablename__ = "survey_answers"

    response_id: Mapped[str] = mapped_column(
        String(128),
        primary_key=True,
        comment="The response (responses.response_id or the belief answer's id).",
    )
    question: Mapped[str] = mapped_column(String(64), primary_key=True, comment="The question's id.")
    survey: Mapped[str] = mapped_column(String(64), comment="The survey.")
    version: Mapped[int] = mapped_column(Integer, comment="The version whose wording was asked.")
    value: Mapped[str | None] = mapped_column(Text, comment="The answer as text (free text redacted).")


DATA_TABLES: tuple[type[Base], ...] = (
    Customer,
    Response,
    ResponseItem,
    Feedback,
    Interaction,
    Standard,
    Promise,
    Belief,
    Outcome,
    Case,
)
META_TABLES: tuple[type[Base], ...] = (ImportBatch, QuarantinedRow)
DERIVED_TABLES: tuple[type[Base], ...] = (
    CustomerTouchpoint,
    ItemRollup,
    InteractionRollup,
    TextEmbedding,
    DerivedState,
    PendingBatch,
    ViewResult,
)
LOOP_TABLES: tuple[type[Base], ...] = (
    CaseEvent,
    SystemicIssue,
    IssueEvent,
    PlaybookAssignment,
    User,
    ApiToken,
    WebSession,
    SignInFailure,
    SavedView,
    CaseTrigger,
    NotifyPreference,
    Notification,
    StoreMeta,
)
SURVEY_TABLES: tuple[type[Base], ...] = (
    Survey,
    SurveyVersion,
    SurveyContact,
    SurveyOptOut,
    SurveyInvitation,
    SurveyAnswer,
)
TABLES = {
    m.__tablename__: m for m in DATA_TABLES + META_TABLES + DERIVED_TABLES + LOOP_TABLES + SURVEY_TABLES
}


def _add_checks(table: Table) -> None:
    """Add CHECK constraints mirroring each column's `info` range or value set."""
    for column in table.columns:
        info = column.info
        if "allowed" in info:
            quoted = ", ".join(f"'{v}'" for v in info["allowed"])
            table.append_constraint(
                CheckConstraint(f"{column.name} IN ({quoted})", name=f"{column.name}_allowed")
            )
        elif "min" in info:
            sql = f"{column.name} BETWEEN {info['min']} AND {info['max']}"
            table.append_constraint(CheckConstraint(sql, name=f"{column.name}_range"))


def table_of(name: str) -> Table:
    """The SQLAlchemy Table of a cxgap table name."""
    return Base.metadata.tables[name]


for _model in DATA_TABLES:
    _add_checks(table_of(_model.__tablename__))
