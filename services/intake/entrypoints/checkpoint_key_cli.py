"""``erk-intake checkpoint-key``: the Ed25519 key that signs checkpoints of the chain.

The private key goes where intake (and only intake) can read it, outside the repository
and the database (``INTAKE_CHECKPOINT_KEY_FILE``); the public key beside it (``PATH.pub``)
is what auditors configure (``APPRAISAL_CHECKPOINT_PUBLIC_KEY_FILE``).
"""

from pathlib import Path
from typing import Annotated

import typer

from shared.cli import epilog
from shared.signing import KeyFileError, generate_key_files, key_id, load_public_key

app = typer.Typer(help="The key that signs checkpoints of the event chain.",
                  no_args_is_help=True)


@app.command(epilog=epilog("erk-intake checkpoint-key generate /etc/erk/checkpoint.pem",
                          "erk-intake checkpoint-key generate .local/checkpoint.pem --if-missing"))
def generate(
    path: Annotated[Path, typer.Argument(help="Where to write the private key (PEM, mode "
                                              "0600); the public key goes to PATH.pub.")],
    if_missing: bool = typer.Option(False, help="Do nothing (and succeed) when PATH exists."),
) -> None:
    """Make a new signing key pair. Never overwrites an existing key."""
    if if_missing and path.exists():
        typer.echo(f"{path} exists; kept")
        return
    try:
        private, public = generate_key_files(path)
    except KeyFileError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(f"private key {private} (keep it out of the repository and the database)\n"
               f"public key  {public} (for auditors), key id {key_id(load_public_key(public))}")


@app.command(epilog=epilog("erk-intake checkpoint-key show /etc/erk/checkpoint.pem.pub"))
def show(public_key: Annotated[Path, typer.Argument(help="A public key file (PATH.pub).")],
         ) -> None:
    """Print the key id of a public key (as signed into every checkpoint)."""
    try:
        typer.echo(key_id(load_public_key(public_key)))
    except (KeyFileError, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from exc
