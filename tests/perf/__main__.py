from tests.perf.cli import app

app()
