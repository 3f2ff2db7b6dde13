"""The survey screens: respondent pages at /s/<token> (no account: the signed link is the credential), the
opt-out page, and the analysts' survey editor at /surveys. They call `cxgap.surveys` and render small
templates (`survey_*.html.j2`)."""

from fastapi import APIRouter

from cxgap.web.surveys import editor, opt_out, respond

router = APIRouter(include_in_schema=False)
for area in (respond, opt_out, editor):
    router.include_router(area.router)

__all__ = ["router"]
