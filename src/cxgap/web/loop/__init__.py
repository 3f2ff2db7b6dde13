"""The closed loop's screens: the case inbox and case page (agents), the team lead's view, the
systemic-issue board (analysts) and each person's notification preferences. They call the same services
as the JSON API (`cxgap.cases`, `cxgap.notify`) and render small templates (`loop_*.html.j2`)."""

from fastapi import APIRouter

from cxgap.web.loop import board, case, inbox, prefs, team

router = APIRouter(include_in_schema=False)
for area in (inbox, case, team, board, prefs):
    router.include_router(area.router)

__all__ = ["router"]
