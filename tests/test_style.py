"""docs/development.md's claims about the code's style, checked: `snakemake --lint`,
`snakefmt --check .`, `ruff check .` and `ruff format --check .` are clean."""

import subprocess
import sys

from conftest import REPO


def test_snakemake_lint_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Congratulations, your workflow is in a good condition!" in output, output[-3000:]


def test_snakefmt_check_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "."], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]


def test_ruff_check_and_format_are_clean():
    """The rules pyproject.toml selects, with the ruff that requirements-dev.txt pins."""
    for command in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command], cwd=REPO, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
