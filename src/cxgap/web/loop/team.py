"""The team lead's view: the team's accountability and trends, who holds what, its playbook cases."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
