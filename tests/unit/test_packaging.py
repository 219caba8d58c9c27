"""Packaging: what the sdist holds, one version, the metadata a package index shows."""

from __future__ import annotations

import email
import re
import tarfile
import tomllib
from importlib.metadata import metadata, version
from pathlib import Path

import pytest
from hatchling.builders.sdist import SdistBuilder

import confirma_async

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
HOME = "https://github.com/confirma-async/confirma-async"


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> tarfile.TarFile:
    out = tmp_path_factory.mktemp("sdist")
    (path,) = SdistBuilder(str(ROOT)).build(directory=str(out), versions=["standard"])
    return tarfile.open(path)


def test_the_sdist_leaves_out_the_ci_plumbing(sdist: tarfile.TarFile) -> None:
    top = {name.split("/")[1] for name in sdist.getnames() if name.count("/") >= 1}
    assert ".ci" not in top
    assert "scripts" not in top
    assert not any(name.startswith(".venv") for name in top)


def test_the_sdist_holds_the_package_its_license_and_changelog(sdist: tarfile.TarFile) -> None:
    names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml"} <= names
    assert "confirma_async/py.typed" in names
    assert "confirma_async/__main__.py" in names


def test_the_sdist_metadata_has_the_one_version(sdist: tarfile.TarFile) -> None:
    (pkg_info,) = [m for m in sdist.getmembers() if m.name.endswith("/PKG-INFO")]
    handle = sdist.extractfile(pkg_info)
    assert handle is not None
    meta = email.message_from_bytes(handle.read())
    assert meta["Version"] == confirma_async.__version__


def test_the_version_is_written_once() -> None:
    assert "version" not in PROJECT
    assert "version" in PROJECT["dynamic"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "confirma_async/config.py"
    assert version("confirma-async") == confirma_async.__version__
    written = [
        p for p in (ROOT / "confirma_async").rglob("*.py") if "__version__ = " in p.read_text()
    ]
    assert [p.name for p in written] == ["config.py"]


def test_the_classifiers_claim_what_the_project_supports() -> None:
    classifiers = set(PROJECT["classifiers"])
    assert {
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Framework :: AsyncIO",
        "Typing :: Typed",
        "License :: OSI Approved :: MIT License",
    } <= classifiers
    claimed = sorted(c.rsplit(" ", 1)[1] for c in classifiers if re.search(r":: 3\.\d+$", c))
    assert PROJECT["requires-python"] == f">={claimed[0]}"


def test_the_project_urls_agree_with_each_other_and_the_docs_site() -> None:
    urls = PROJECT["urls"]
    assert {"Homepage", "Repository", "Issues", "Changelog", "Documentation"} <= set(urls)
    repository = [u for name, u in urls.items() if name != "Documentation"]
    assert all(u == HOME or u.startswith(HOME + "/") for u in repository)
    mkdocs = (ROOT / "mkdocs.yml").read_text()
    assert re.search(rf'^repo_url: .*"{re.escape(HOME)}"\]$', mkdocs, re.MULTILINE)
    site = re.search(r'^site_url: .*"(https://[^"]+)"\]$', mkdocs, re.MULTILINE)
    assert site is not None
    assert urls["Documentation"] == site.group(1)
    assert metadata("confirma-async").get_all("Project-URL")


def test_the_license_file_is_mit_like_the_metadata() -> None:
    assert PROJECT["license"] == {"text": "MIT"}
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_the_changelog_keeps_an_unreleased_section() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "keepachangelog.com" in changelog
    assert "## [Unreleased]" in changelog


def test_the_readme_links_are_absolute() -> None:
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)]+)\)", readme)
    assert links
    relative = [link for link in links if not link.startswith(("https://", "#"))]
    assert relative == []
    assert all(link.startswith(HOME) for link in links if "github.com" in link)


def test_the_optional_extras_exist() -> None:
    extras = PROJECT["optional-dependencies"]
    assert any(d.startswith("opentelemetry-api") for d in extras["otel"])
    assert {d.split(">")[0] for d in extras["pytest"]} == {"pytest", "pytest-asyncio"}
