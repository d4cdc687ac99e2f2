"""A subscriber's links, with opaque tokens: confirm expires, unsubscribe and preferences not."""

from urllib.parse import quote

from services.notifier.config import NotifierSettings
from services.notifier.domain.tokens import Purpose, sign


class Links:
    def __init__(self, settings: NotifierSettings) -> None:
        self._base = str(settings.public_url).rstrip("/")
        self._key = settings.signing_key.get_secret_value().encode()
        self._confirm_ttl = settings.confirm_ttl_hours * 3600

    def confirm(self, email: str) -> str:
        return self._link("confirm", email, self._confirm_ttl)

    def unsubscribe(self, email: str) -> str:
        # Never expires: an old email must still let its reader leave.
        return self._link("unsubscribe", email, None)

    def preferences(self, email: str) -> str:
        return self._link("preferences", email, None)

    def resubscribe(self, email: str) -> str:
        # The preferences token: whoever may change the preferences may come back.
        return self._link("preferences", email, None, page="resubscribe")

    def _link(self, purpose: Purpose, email: str, ttl: int | None, page: str | None = None) -> str:
        token = sign(self._key, purpose, email, ttl)
        return f"{self._base}/subscriptions/{page or purpose}?token={quote(token)}"
