"""One customer's page: the timeline of interactions, answers, comments and cases, and churn risk with its reasons."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
