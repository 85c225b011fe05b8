"""Pages of capabilities built on other branches: check-ins, onboarding and the outbox, moderation.

Each page shows its work once its module is installed; until then it says so, politely, and the navigation
marks it. The contracts the pages will call are listed in docs/web.md.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tending.web.pages import NAV, module_available, render
from tending.web.views.common import community_or_404

router = APIRouter()


def unavailable(request: Request, community_id: int, key: str) -> Response:
    community = community_or_404(request, community_id)
    item = next(i for i in NAV if i.key == key)
    return render(request, "unavailable.html", community=community, item=item,
                  installed=bool(item.module and module_available(item.module)), page_name=key)
