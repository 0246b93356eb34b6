from services.simulator.bench.cli import app

app()
