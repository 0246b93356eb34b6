"""Who may import whom: each service only itself and shared; shared no service; the
simulator is a client like any e-service (HTTP and Kafka only: no database driver at all)."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "appraisal", "simulator")
DATABASE_DRIVERS = {"sqlalchemy", "asyncpg", "aiosqlite", "alembic"}


def imports_of(folder: Path) -> dict[str, set[str]]:
    """File (relative to the repository) -> the modules it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names.add(node.module or "")
        found[str(path.relative_to(ROOT))] = names
    return found


def offending(folder: Path, forbidden: set[str]) -> dict[str, list[str]]:
    """File -> the forbidden modules (or their submodules) it imports."""
    found = {}
    for path, names in imports_of(folder).items():
        bad = sorted(name for name in names
                     if any(name == f or name.startswith(f + ".") for f in forbidden))
        if bad:
            found[path] = bad
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service: str) -> None:
    others = {f"services.{other}" for other in SERVICES if other != service} | {"tests"}
    assert offending(ROOT / "services" / service, others) == {}


def test_shared_imports_no_service() -> None:
    assert offending(ROOT / "shared", {"services", "tests"}) == {}


def test_the_simulator_reaches_no_database() -> None:
    assert offending(ROOT / "services" / "simulator", DATABASE_DRIVERS) == {}
