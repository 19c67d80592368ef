"""``leptomarket serve``: the JSON API on uvicorn (127.0.0.1 unless told otherwise)."""

from __future__ import annotations

from typing import Annotated

import typer

from leptomarket.cli.common import AllowWarningsOption, DbOption, err_console, handle_errors
from leptomarket.cli.main import app

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command()
@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    indication: Annotated[str, typer.Option(help="Indication package.")] = "lm",
    db: DbOption = None,
    allow_warnings: AllowWarningsOption = False,
) -> None:
    """Serve the JSON API (OpenAPI at /openapi.json, docs at /docs; see docs/api.md).

    Storing runs needs a bearer token: start with LEPTOMARKET_API_TOKEN set.
    """
    import uvicorn

    from leptomarket.web.app import create_app

    if host not in LOOPBACK:
        err_console.print(
            f"warning: serving on {host}, reachable from other machines; reads are open to "
            "anyone who can connect (writing needs LEPTOMARKET_API_TOKEN).",
            highlight=False,
            markup=False,
        )
    app_ = create_app(indication, str(db) if db else None, allow_warnings)
    uvicorn.run(app_, host=host, port=port)
