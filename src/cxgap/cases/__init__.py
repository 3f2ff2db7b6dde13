"""The closed loop: rules open cases with owners and deadlines, a workflow with an audit log, and the
accountability metrics that show how much of what customers raise is acted on, and how fast."""

from __future__ import annotations

from cxgap.cases.accountability import Accountability, AccountabilityReport, accountability
from cxgap.cases.rules import RuleRun, open_cases
from cxgap.cases.workflow import (
    ACTIONS,
    CaseConflict,
    CaseEvent,
    CaseNotFound,
    CaseRecord,
    add_note,
    assign,
    cases_frame,
    events,
    get_case,
    list_cases,
    record_follow_up,
    transition,
)

__all__ = [
    "ACTIONS",
    "Accountability",
    "AccountabilityReport",
    "CaseConflict",
    "CaseEvent",
    "CaseNotFound",
    "CaseRecord",
    "RuleRun",
    "accountability",
    "add_note",
    "assign",
    "cases_frame",
    "events",
    "get_case",
    "list_cases",
    "open_cases",
    "record_follow_up",
    "transition",
]
