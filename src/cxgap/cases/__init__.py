"""The closed loop: rules open cases with owners and deadlines, a workflow with an audit log, the
accountability metrics that show how much of what customers raise is acted on, and how fast, and the
outer loop that turns recurring root causes into systemic issues whose effect the gap engine measures."""

from __future__ import annotations

from cxgap.cases.accountability import Accountability, AccountabilityReport, accountability
from cxgap.cases.bulk import BULK_ACTIONS, BulkResult, bulk
from cxgap.cases.clock import loop_now
from cxgap.cases.effect import IssueEffect, issue_effect, suggest_gap
from cxgap.cases.history import describe_event, detail_of
from cxgap.cases.inbox import QUEUES, SORTS, Inbox, InboxQuery, inbox
from cxgap.cases.intake import Intake, intake
from cxgap.cases.rules import RuleRun, open_cases
from cxgap.cases.systemic import (
    ISSUE_STATUSES,
    IssueEvent,
    IssueRecord,
    Pattern,
    assign_issue,
    find_patterns,
    finish_issue,
    get_issue,
    issue_events,
    issues_frame,
    link_cases,
    list_issues,
    patterns_frame,
    plan_action,
    raise_issue,
    reopen_issue,
)
from cxgap.cases.triggers import CaseTrigger, case_triggers, customer_cases
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
    "BULK_ACTIONS",
    "QUEUES",
    "SORTS",
    "BulkResult",
    "CaseTrigger",
    "Inbox",
    "InboxQuery",
    "bulk",
    "case_triggers",
    "customer_cases",
    "describe_event",
    "detail_of",
    "inbox",
    "loop_now",
    "ISSUE_STATUSES",
    "Intake",
    "IssueEffect",
    "IssueEvent",
    "IssueRecord",
    "Pattern",
    "assign_issue",
    "find_patterns",
    "finish_issue",
    "get_issue",
    "intake",
    "issue_effect",
    "issue_events",
    "issues_frame",
    "link_cases",
    "list_issues",
    "patterns_frame",
    "plan_action",
    "raise_issue",
    "reopen_issue",
    "suggest_gap",
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
