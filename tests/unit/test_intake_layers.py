"""Intake's layers, checked on the imports: the domain is plain Python, the service layer
knows the ports and not the adapters, entrypoints reach the database only through them."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

INTAKE = Path(__file__).resolve().parents[2] / "services" / "intake"
FRAMEWORKS = {"sqlalchemy", "asyncpg", "fastapi", "starlette", "aiokafka", "faststream",
              "alembic"}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.add(node.module or "")
    return names


def offending(layer: str, forbidden: set[str]) -> dict[str, list[str]]:
    found = {}
    for path in sorted((INTAKE / layer).rglob("*.py")):
        bad = sorted(name for name in imported(path)
                     if any(name == f or name.startswith(f + ".") for f in forbidden))
        if bad:
            found[path.name] = bad
    return found


def test_the_domain_is_plain_python() -> None:
    assert offending("domain", FRAMEWORKS | {"services.intake.adapters",
                                             "services.intake.service_layer",
                                             "services.intake.entrypoints"}) == {}


def test_the_service_layer_sees_ports_not_adapters() -> None:
    assert offending("service_layer", FRAMEWORKS | {"services.intake.adapters",
                                                    "services.intake.entrypoints"}) == {}


def test_entrypoints_reach_no_table() -> None:
    """Only the CLI's ``migrate`` names an adapter: the migrations it runs."""
    adapters = {f"services.intake.adapters.{p.stem}" for p in (INTAKE / "adapters").glob("*.py")}
    assert offending("entrypoints", {"sqlalchemy", "asyncpg", *adapters}) == {}


def test_the_fakes_implement_every_port_method() -> None:
    """The in-memory adapters offer every method of the port they stand in for."""
    from services.intake.adapters import memory
    from services.intake.service_layer import ports

    for port, fake in [(ports.FactReader, memory.InMemoryFacts),
                       (ports.WriteModel, memory.InMemoryWriteModel)]:
        wanted = {n for n in vars(port) if not n.startswith("_")}
        assert wanted <= set(vars(fake)), (port.__name__, sorted(wanted - set(vars(fake))))
