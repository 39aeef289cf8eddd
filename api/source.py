"""Jobs from a `source_url`."""

from __future__ import annotations

from typing import Any

from api.models import Dub
from api.problems import Problem
from api.service import Service


async def submit_url(svc: Service, who: str, body: dict[str, Any],
                     idempotency_key: str | None) -> tuple[Dub, bool]:
    raise Problem(422, "source_url is not accepted yet; upload the file", "unsupported")
