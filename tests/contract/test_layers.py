"""The layers contract (DESIGN §1): it holds on the code, it would catch an upward import,
and the architecture document draws the same order."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def layers_contract() -> dict[str, object]:
    contracts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"][
        "contracts"
    ]
    (contract,) = [c for c in contracts if c["type"] == "layers"]
    return contract


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on a copy of the package in `tree` with the project's contracts."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(tree / "pyproject.toml")],
        cwd=tree,
        env={"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def copied_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("layers")
    shutil.copytree(
        ROOT / "src" / "jiebang_api",
        tree / "src" / "jiebang_api",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy(PYPROJECT, tree / "pyproject.toml")
    return tree


def test_the_copy_keeps_every_contract(copied_tree: Path) -> None:
    result = lint_imports(copied_tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "source", "importer", "imported"),
    [
        (
            "listings/_upward.py",
            "from jiebang_api.applications import service as applications_service\n",
            "jiebang_api.listings",
            "jiebang_api.applications",
        ),
        (
            "attachments/_upward.py",
            "def later() -> None:\n    from jiebang_api.listings import service  # noqa\n",
            "jiebang_api.attachments",
            "jiebang_api.listings",
        ),
        (
            "kit/_upward.py",
            "from jiebang_api.models import Listing  # noqa\n",
            "jiebang_api.kit",
            "jiebang_api.models",
        ),
    ],
    ids=["module-level", "inside-a-function", "kit-imports-a-layer"],
)
def test_an_upward_import_breaks_the_contract(
    copied_tree: Path, module: str, source: str, importer: str, imported: str
) -> None:
    throwaway = copied_tree / "src" / "jiebang_api" / module
    throwaway.write_text(source, encoding="utf-8")
    try:
        result = lint_imports(copied_tree)
    finally:
        throwaway.unlink()
    assert result.returncode == 1, result.stdout
    assert f"{importer} is not allowed to import {imported}" in result.stdout


def test_a_new_top_level_package_must_be_placed(copied_tree: Path) -> None:
    stray = copied_tree / "src" / "jiebang_api" / "stray.py"
    stray.write_text('"""Not in any layer."""\n', encoding="utf-8")
    try:
        result = lint_imports(copied_tree)
    finally:
        stray.unlink()
    assert result.returncode == 1
    assert "jiebang_api.stray" in result.stdout


def test_the_architecture_document_draws_the_contract_order() -> None:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- layers -->\n```\n(.*?)```", text, re.S)
    assert block is not None, "ARCHITECTURE.md has no layer picture"
    drawn = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    expected = [
        str(layer).replace("(", "").replace(")", "") for layer in layers_contract()["layers"]
    ]  # type: ignore[attr-defined]
    assert [line for line in drawn if line] == expected
