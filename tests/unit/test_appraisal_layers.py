"""Appraisal's layers stay visible: the domain is plain Python, the entrypoints build no SQL,
and every projection table defined under ``projections/`` is in the registry (so verify,
replay and the checksums see it)."""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from sqlalchemy import Table

from services.appraisal import projections
from services.appraisal.projections import REGISTRY

pytestmark = pytest.mark.unit

APPRAISAL = Path(__file__).resolve().parents[2] / "services" / "appraisal"
FRAMEWORKS = {"sqlalchemy", "fastapi", "aiokafka", "alembic", "asyncpg", "typer", "uvicorn"}


def imported(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names.add(node.module or "")
        found[path.name] = names
    return found


def test_the_domain_imports_no_framework() -> None:
    for module, names in imported(APPRAISAL / "domain").items():
        assert not {n.split(".")[0] for n in names} & FRAMEWORKS, module


def test_entrypoints_build_no_sql() -> None:
    for module, names in imported(APPRAISAL / "entrypoints").items():
        sql = {n for n in names if n.split(".")[0] == "sqlalchemy"} - {"sqlalchemy.ext.asyncio"}
        assert not sql, f"{module} imports {sql}: queries belong to a projection or adapter"


def test_every_projection_table_is_registered() -> None:
    defined = set()
    for info in pkgutil.iter_modules(projections.__path__):
        module = importlib.import_module(f"{projections.__name__}.{info.name}")
        defined |= {value.name for value in vars(module).values() if isinstance(value, Table)}
    assert defined == {table.name for table in REGISTRY.tables}
