"""Placeholder: being built (issue 19)."""

from fastapi import APIRouter

router = APIRouter()
