"""Playbooks: recovery and success actions with owners, opened through the closed loop for the customers
that health, churn risk and value select, with a holdout left alone so each playbook's effect can be
measured with the experiments module."""

from __future__ import annotations

from cxgap.playbooks.effect import playbook_assignments, playbook_effect
from cxgap.playbooks.run import PlaybookOutcome, PlaybookRun, plan, qualifying, run_playbooks

__all__ = [
    "PlaybookOutcome",
    "PlaybookRun",
    "plan",
    "playbook_assignments",
    "playbook_effect",
    "qualifying",
    "run_playbooks",
]
