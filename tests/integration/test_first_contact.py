"""First contact: the README example runs as written; the command line and the pytest plugin say
what is missing instead of a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLOCK_CLICK = "import sys; sys.modules['click'] = None; "


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env
    )


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Example") :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None
    return match.group(1)


def test_the_readme_example_runs_as_written(tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(readme_example())

    done = run("-W", "error", str(script), cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "TokenValidation(is_valid=True" in done.stdout
    assert "BatchSummary(total=100, created=100" in done.stdout
    assert "251601100 " in done.stdout  # the last uploaded invoice, streamed back


def test_confirma_without_click_says_how_to_install_it() -> None:
    done = run("-c", BLOCK_CLICK + "from confirma_async.cli import main; sys.exit(main())")

    assert done.returncode == 2
    assert "pip install 'confirma-async[cli]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_python_dash_m_without_click_says_the_same() -> None:
    done = run(
        "-c", BLOCK_CLICK + "import runpy; runpy.run_module('confirma_async', run_name='__main__')"
    )

    assert done.returncode == 2
    assert "pip install 'confirma-async[cli]'" in done.stderr


def test_python_dash_m_runs_the_command_line() -> None:
    done = run("-m", "confirma_async", "--help")

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage: confirma ")
    assert "CONFIRMA_API_KEY" in done.stdout


def test_the_library_imports_without_click() -> None:
    done = run("-c", BLOCK_CLICK + "import confirma_async, confirma_async.cli; print('ok')")

    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr


def test_the_pytest_plugin_says_pytest_asyncio_is_missing(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "pytest_asyncio"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('pytest_asyncio is not installed')\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "test_mine.py").write_text(
        textwrap.dedent(
            """
            def test_against_the_sandbox(confirma_sandbox):
                pass

            def test_with_a_client(confirma_client):
                pass
            """
        )
    )
    env = {"PYTHONPATH": str(shadow.parent), "PATH": "/usr/bin:/bin"}

    done = run(
        "-m", "pytest", "-p", "no:asyncio", "-p", "no:cacheprovider", "-q", cwd=project, env=env
    )

    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "2 errors" in output  # failed in setup, by the fixtures
    assert "fixture 'confirma_sandbox' not found" not in output
    assert output.count("needs pytest-asyncio") >= 2
    assert "pip install 'confirma-async[pytest]'" in output
