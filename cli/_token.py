"""``brain token``: a development access token (dev key pair under the run dir).

Imports only the scopes at start-up (``brain token --help`` answers at once); minting imports the
JWT library and the settings, not the service.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from bento_service.scopes import SCOPE_GRANTS

__all__ = ["token"]

DEFAULT_SCOPES = ["customer:read", "decision:write", "decision:read"]
_SCOPES_HELP = "\n\n".join(f"{scope.value}: {grant}" for scope, grant in SCOPE_GRANTS.items())


def token(
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            "-s",
            help=f"Repeat for several scopes (default: {' '.join(DEFAULT_SCOPES)}).",
        ),
    ] = None,
    subject: Annotated[str, typer.Option(help="Who the token is for")] = "dev-user",
    ttl_minutes: Annotated[int, typer.Option(min=1, max=24 * 60)] = 60,
) -> None:
    from bento_service.dev_tokens import dev_token_issuer
    from bento_service.scopes import KNOWN_SCOPES
    from bento_service.settings import get_service_settings

    settings = get_service_settings()
    if settings.jwks_url:
        typer.echo(
            "EB_JWKS_URL is set: tokens come from the identity provider, not from brain token", err=True
        )
        raise typer.Exit(2)
    scopes = scope or DEFAULT_SCOPES
    unknown = sorted(set(scopes) - KNOWN_SCOPES)
    if unknown:
        raise typer.BadParameter(
            f"unknown scope(s) {unknown}; known: {sorted(KNOWN_SCOPES)}", param_hint="--scope"
        )
    issuer = dev_token_issuer(settings)
    typer.echo(issuer.mint(subject, scopes, timedelta(minutes=ttl_minutes)))


token.__doc__ = (
    "Mint a bearer token signed by the local development key (not when a JWKS URL is configured).\n\n"
    "Scopes and what each one opens:\n\n" + _SCOPES_HELP
)
