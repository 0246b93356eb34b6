"""Bearer tokens minted in-process with the deployment's key (ERK_JWT_SECRET)."""

from datetime import timedelta

from shared.auth import Principal, Role, issue_token
from shared.settings import AuthSettings


class Tokens:
    """Caches one token per principal; they live ``ttl`` (long enough for a run)."""

    def __init__(self, settings: AuthSettings | None = None,
                 ttl: timedelta = timedelta(hours=24)) -> None:
        self.settings = settings or AuthSettings()
        self.ttl = ttl
        self._cache: dict[tuple[str, str], str] = {}

    def token(self, subject: str, role: Role) -> str:
        key = (subject, role)
        if key not in self._cache:
            self._cache[key] = issue_token(self.settings, Principal(subject, role), self.ttl)
        return self._cache[key]

    def header(self, subject: str, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(subject, role)}"}
