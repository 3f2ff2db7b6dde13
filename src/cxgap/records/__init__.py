"""The records behind a number: the responses, comments, interactions and customers of a slice, narrowed
to what a gap, score, theme, driver or incident measured, sorted and paged in the backend and exported in
chunks; and one customer's record (timeline, open cases, churn risk with its reasons)."""

from cxgap.records.customer import CustomerRecord, CustomerRisk, TimelineEvent, customer_record, customer_risk
from cxgap.records.narrowing import KINDS, Narrowing, ThemeTexts, theme_texts
from cxgap.records.query import PAGE_SIZE, RecordPage, expression, page_of, stream

__all__ = [
    "KINDS",
    "PAGE_SIZE",
    "CustomerRecord",
    "CustomerRisk",
    "Narrowing",
    "RecordPage",
    "ThemeTexts",
    "TimelineEvent",
    "customer_record",
    "customer_risk",
    "expression",
    "page_of",
    "stream",
    "theme_texts",
]
