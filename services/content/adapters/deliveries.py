"""How an article's emails went, for editors: read from the notifier with its admin token.

The notifier answers delivery counts to its admin token only (they tell how many people
subscribe to what). Editors sign in to content, so content asks on their behalf, server to
server, and the token never reaches a browser.
"""

from urllib.parse import quote

import aiohttp
import structlog
from pydantic import BaseModel, ValidationError

from shared.contracts.errors import NotFound, Unavailable

log = structlog.get_logger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=5)


class DeliveryCounts(BaseModel):
    """An article's emails, counted by state (sent, pending, failed, suppressed, skipped)."""

    article_id: str
    total: int
    deliveries: dict[str, int]


class Deliveries:
    """Without a notifier URL and token (content run alone), there is nothing to ask: 404."""

    def __init__(
        self, session: aiohttp.ClientSession, notifier_url: str | None, token: str | None
    ) -> None:
        self._session = session
        self._base = (notifier_url or "").rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else None

    async def counts(self, article_id: str) -> DeliveryCounts:
        if not self._base or self._headers is None:
            raise NotFound("delivery counts are off: content has no NOTIFIER_URL or ADMIN_TOKEN")
        url = f"{self._base}/api/deliveries/{quote(article_id, safe='')}"
        try:
            async with self._session.get(url, headers=self._headers, timeout=TIMEOUT) as answer:
                if answer.status != 200:
                    log.warning("deliveries.refused", status=answer.status)
                    raise Unavailable("the notifier did not answer with the delivery counts")
                return DeliveryCounts.model_validate_json(await answer.read())
        except (aiohttp.ClientError, TimeoutError, ValidationError) as error:
            log.warning("deliveries.unreachable", error=repr(error))
            raise Unavailable("the notifier is unreachable; try again") from None
