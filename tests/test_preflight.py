"""`make preflight`: a missing Python, a too old one or one without venv is one clear line.

The fake interpreters below are real Python scripts that run the Makefile's check code
after pretending to be Python 3.8 or removing ``ensurepip``, so the check code itself
(not a stand-in) is what is tested.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import in_ci

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    shutil.which("make") is None and not in_ci(), reason="make is not installed"
)


def _fake_python(folder: Path, name: str, prelude: str) -> Path:
    script = folder / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"{prelude}\n"
        "code = sys.argv[sys.argv.index('-c') + 1]\n"
        "exec(compile(code, '<string>', 'exec'), {'__name__': '__main__'})\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def _preflight(python) -> tuple[int, list[str]]:
    result = subprocess.run(
        ["make", "--no-print-directory", "-s", "-C", str(ROOT), "preflight", f"PYTHON={python}"],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    return result.returncode, lines


def test_preflight_passes_with_one_line_naming_this_python():
    version = ".".join(map(str, sys.version_info[:3]))
    assert _preflight(sys.executable) == (
        0,
        [f"preflight: Python {version} with venv ({sys.executable}): ok"],
    )


def test_missing_python(tmp_path):
    code, lines = _preflight(tmp_path / "no-such-python3")
    assert code != 0 and len(lines) == 1
    assert "mecc needs Python 3.11 or newer" in lines[0]
    assert "no-such-python3' was not found" in lines[0]


def test_too_old_python(tmp_path):
    old = _fake_python(tmp_path, "python3.8", "sys.version_info = (3, 8, 10, 'final', 0)")
    code, lines = _preflight(old)
    assert code != 0 and len(lines) == 1
    assert "mecc needs Python 3.11 or newer" in lines[0] and "Python 3.8.10" in lines[0]


def test_python_without_venv(tmp_path):
    bare = _fake_python(tmp_path, "python3", "sys.modules['ensurepip'] = None")
    code, lines = _preflight(bare)
    assert code != 0 and len(lines) == 1
    assert "venv module is missing" in lines[0] and "apt-get install python3-venv" in lines[0]
