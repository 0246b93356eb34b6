"""The dashboard's sign-on through the identity provider: what the page needs to run an
authorization-code + PKCE flow with a public client (``sign_on.js``, served from here, so
the page needs no CDN and no build step). Without a provider or a dashboard client, the
page keeps taking a pasted token."""

from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from shared.auth import ProviderUnavailable
from shared.oidc import OidcVerifier
from shared.settings import OidcSettings

SCRIPT = Path(__file__).with_name("sign_on.js")


def build_sign_on_router(settings: OidcSettings, verifier: OidcVerifier | None) -> APIRouter:
    router = APIRouter(prefix="/dashboard", include_in_schema=False)

    @router.get("/sign-on.json")
    async def sign_on() -> dict[str, Any]:
        """Where the page sends the person to sign in, or ``enabled: false``."""
        if verifier is None or not settings.dashboard_client_id:
            return {"enabled": False}
        try:
            discovery = await anyio.to_thread.run_sync(verifier.discovery)
        except ProviderUnavailable as exc:
            raise HTTPException(503, {"code": "identity_provider_unavailable",
                                      "message": str(exc)}, headers={"Retry-After": "5"}) from exc
        return {"enabled": True, "issuer": verifier.issuer,
                "authorization_endpoint": discovery.get("authorization_endpoint"),
                "token_endpoint": discovery.get("token_endpoint"),
                "client_id": settings.dashboard_client_id, "scope": settings.dashboard_scope}

    @router.get("/sign-on.js")
    async def script() -> FileResponse:
        return FileResponse(SCRIPT, media_type="text/javascript")

    return router
