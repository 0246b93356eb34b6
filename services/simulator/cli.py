"""``python -m services.simulator.cli``: see :mod:`services.simulator.entrypoints.cli`."""

from services.simulator.entrypoints.cli import app

if __name__ == "__main__":
    app()
