"""The architecture's contracts (docs/architecture.md): import-linter's layers, independent
formats and acyclic core, and mypy on core. `make contracts` runs the same commands; these
tests make a plain pytest run see them, and prove that the contracts catch what they forbid
by breaking a copy of the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eventhub.core.models import EventKind
from eventhub.core.services import formats

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    """import-linter on the package under ``root`` (not whatever is installed)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache", str(ROOT / ".importlinter")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_contracts_are_kept():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_core_type_checks():
    result = subprocess.run(
        [str(BIN / "mypy")], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """The Python files of the package, to break without touching the real one."""
    shutil.copytree(
        ROOT / "eventhub",
        tmp_path / "eventhub",
        ignore=shutil.ignore_patterns("templates", "static", "translations", "__pycache__"),
    )
    return tmp_path


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}\n")


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        # A blueprint reaching into another blueprint.
        ("workshops/routes.py", "from eventhub.manage import forms", "no blueprint imports"),
        # Core reaching up into the web.
        ("core/services/listing.py", "import eventhub.web.pages", "Core imports no"),
        # A format reaching into another format.
        ("core/services/forums.py", "import eventhub.core.services.hackathons", "forum format"),
        # A format importing the orchestration that calls its hooks.
        ("core/services/forums.py", "import eventhub.core.services.registration", "orchestration"),
        # A cycle in core: registration imports capacity.
        (
            "core/services/capacity.py",
            "import eventhub.core.services.registration",
            "no import cycle",
        ),
    ],
)
def test_contracts_catch_what_they_forbid(package_copy, module, bad_import, contract):
    _append(package_copy / "eventhub" / module, bad_import)
    result = _lint_imports(package_copy)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts")[-1]
    assert contract in broken, result.stdout


def test_every_kind_is_served_by_one_format(app):
    with app.app_context():
        assert formats.unserved_kinds() == set()
        assert formats.for_kind(EventKind.FORUM).name == "forum"
        assert formats.for_kind(EventKind.INFO_SESSION).name == "forum"
        assert formats.for_kind(EventKind.HACKATHON).name == "hackathon"
        assert formats.for_kind(EventKind.WORKSHOP).name == "workshop"
        assert formats.for_kind(EventKind.TRAINING).name == "plain"


def test_a_format_takes_a_plain_kind_over_with_one_registration(app):
    formats.register(app, formats.Format(name="trips", kinds=frozenset({EventKind.STUDY_TRIP})))
    with app.app_context():
        assert formats.for_kind(EventKind.STUDY_TRIP).name == "trips"
        assert formats.for_kind(EventKind.TRAINING).name == "plain"


def test_a_kind_claimed_twice_is_refused(app):
    with pytest.raises(formats.FormatConflict):
        formats.register(app, formats.Format(name="copy", kinds=frozenset({EventKind.FORUM})))
