"""The migrations are frozen revisions in one numbered line per service.

Frozen: a revision spells out what it creates and imports nothing of the project (not the
live table modules, which move on), so replaying history from empty builds what each
revision built when it was written. Numbered: ``NNNN_name.py`` holds revision
``<service>_NNNN`` whose parent is the previous number.
"""

import ast
from pathlib import Path

import pytest

from services.appraisal.adapters.migrations import MIGRATIONS as APPRAISAL_MIGRATIONS
from services.intake.adapters.migrations import MIGRATIONS as INTAKE_MIGRATIONS

pytestmark = pytest.mark.unit

SERVICES = {"intake": INTAKE_MIGRATIONS, "appraisal": APPRAISAL_MIGRATIONS}
ALLOWED_IMPORTS = {"alembic", "sqlalchemy"}


def revisions(folder: Path) -> list[Path]:
    return sorted(path for path in folder.glob("[0-9][0-9][0-9][0-9]_*.py"))


def imported_roots(tree: ast.Module) -> set[str]:
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots.add("." if node.level else (node.module or "").split(".")[0])
    return roots


def assigned(tree: ast.Module, name: str) -> object:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == name for target in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"no {name} = ... at the top level")


@pytest.mark.parametrize("service", SERVICES)
def test_revisions_import_nothing_of_the_project(service: str) -> None:
    files = revisions(SERVICES[service])
    assert files
    for path in files:
        extra = imported_roots(ast.parse(path.read_text())) - ALLOWED_IMPORTS
        assert not extra, f"{path.name} imports {sorted(extra)}: spell the schema out instead"


@pytest.mark.parametrize("service", SERVICES)
def test_revisions_form_one_numbered_line(service: str) -> None:
    parent = None
    for expected, path in enumerate(revisions(SERVICES[service]), start=1):
        tree = ast.parse(path.read_text())
        assert path.name.startswith(f"{expected:04d}_"), path.name
        assert assigned(tree, "revision") == f"{service}_{expected:04d}", path.name
        assert assigned(tree, "down_revision") == parent, path.name
        parent = f"{service}_{expected:04d}"
