"""The documentation site as a first-time reader meets it: built once (``mkdocs build --strict``),
checked in its HTML, and looked at in a headless browser (Debian's chromium).

The browser test serves the built site on 127.0.0.1 and has chromium resolve no other host. It is
skipped, with the reason, where chromium is not installed; under ``CI=true`` a skip is a failure
(tests/conftest.py), and ``.ci/run`` installs chromium first.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click
import pytest

from confirma_async.cli import cli

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

# Runs once the page's stylesheets are in (a script at the end of the body waits for them): every
# code block whose content is wider than its box is reported, with the start of its text.
CHECK = """<script>
const blocks = Array.from(document.querySelectorAll("pre > code"));
const wide = blocks.filter((el) => el.scrollWidth > el.clientWidth + 1);
const report = document.createElement("pre");
report.id = "overflow-report";
report.textContent = JSON.stringify({
  checked: blocks.length,
  overflowing: wide.map((el) => el.textContent.slice(0, 60)),
});
document.body.appendChild(report);
</script>"""
# The page without the site's wrapping rule: proves the check sees an overflow when there is one.
NO_WRAP = "<style>.md-typeset pre > code { white-space: pre !important; }</style>"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip(
        "mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]'"
    )
    pytest.importorskip("mkdocs_click", reason="the docs extra is not installed")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    return out


def commands(group: click.Command, path: tuple[str, ...] = ("confirma",)) -> Iterator[str]:
    yield " ".join(path)
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            yield from commands(command, (*path, name))


def text_of(page: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page.read_text()))


def test_the_cli_reference_is_generated_from_every_command(site: Path) -> None:
    page = (site / "reference" / "cli" / "index.html").read_text()

    ids = set(re.findall(r'<h\d id="([^"]+)"', page))

    assert {name.replace(" ", "-") for name in commands(cli)} <= ids


def test_the_changelog_page_shows_the_changelog_file(site: Path) -> None:
    shown = text_of(site / "changelog" / "index.html")

    headings = re.findall(r"^## \[([^\]]+)\]", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert headings
    assert all(heading in shown for heading in headings)


def test_every_attribute_in_the_reference_shows_its_type(site: Path) -> None:
    untyped, seen = [], 0
    for page in (site / "reference").rglob("index.html"):
        for anchor, signature in re.findall(
            r'<h\d id="([^"]+)" class="doc doc-heading">\s*<code class="doc-symbol '
            r'doc-symbol-heading doc-symbol-attribute">.*?<div class="doc-signature '
            r'highlight"><pre>(.*?)</pre>',
            page.read_text(),
            re.S,
        ):
            seen += 1
            if ":" not in re.sub(r"<[^>]+>", "", signature):
                untyped.append(anchor)
    assert seen > 100
    assert untyped == []


def test_no_page_shows_a_private_module_or_base(site: Path) -> None:
    client = text_of(site / "reference" / "client" / "index.html")

    assert "AsyncClosing" not in client
    for page in site.rglob("index.html"):
        assert not re.search(r"confirma_async(\.\w+)*\._\w", text_of(page)), page


def test_the_site_says_where_it_and_its_repository_live(site: Path) -> None:
    home = (site / "index.html").read_text()
    quickstart = text_of(site / "quickstart" / "index.html")

    assert '<link rel="canonical" href="http' in home
    assert 'class="md-source"' in home  # the repository link in the header
    from_index = re.search(r"pip\s+install\s+confirma-async", quickstart)
    assert from_index is not None
    assert from_index.start() < quickstart.index("checkout")  # the index first


def test_the_bulk_upload_tables_have_headers(site: Path) -> None:
    page = (site / "guides" / "bulk-upload" / "index.html").read_text()

    headers = re.findall(r"<thead>(.*?)</thead>", page, re.S)
    assert headers
    for header in headers:
        assert all(cell.strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", header, re.S))


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("chromium is not installed (Debian: apt-get install chromium)")


class _Handler(SimpleHTTPRequestHandler):
    """Serves the built site; ``?check`` adds the overflow report, ``?nowrap`` drops wrapping."""

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if not query:
            super().do_GET()
            return
        file = Path(self.translate_path(path))
        if file.is_dir():
            file = file / "index.html"
        extra = (NO_WRAP if "nowrap" in query else "") + CHECK
        body = file.read_text().replace("</body>", extra + "</body>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(10)
    server.server_close()


def browse(url: str, tmp_path: Path, *args: str, width: int = 1280) -> str:
    """Load ``url`` in headless chromium (no host but 127.0.0.1); what it printed on stdout."""
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",  # as root (CI) chromium refuses to start otherwise
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        f"--window-size={width},900",
        "--virtual-time-budget=3000",
        *args,
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def overflow(
    served: str, page: str, tmp_path: Path, *, query: str, width: int
) -> dict[str, object]:
    dom = browse(f"{served}/{page}?{query}", tmp_path, "--dump-dom", width=width)
    match = re.search(r'<pre id="overflow-report">(.*?)</pre>', dom, re.S)
    assert match, dom[-2000:]
    report: dict[str, object] = json.loads(html.unescape(match.group(1)))
    return report


@pytest.mark.parametrize("page", ["", "guides/bulk-upload/", "reference/errors/"])
@pytest.mark.parametrize("width", [1280, 760])
def test_no_code_block_overflows_its_box_in_a_browser(
    served: str, page: str, width: int, tmp_path: Path
) -> None:
    report = overflow(served, page, tmp_path, query="check", width=width)

    assert report["checked"], "no code block on the page"
    assert report["overflowing"] == []


def test_the_overflow_check_sees_an_overflow_when_code_does_not_wrap(
    served: str, tmp_path: Path
) -> None:
    report = overflow(served, "guides/bulk-upload/", tmp_path, query="check&nowrap", width=760)

    assert report["overflowing"], "the check found nothing to report even without wrapping"


@pytest.mark.parametrize("page", ["", "guides/bulk-upload/"])
def test_a_screenshot_of_the_page_is_taken(served: str, page: str, tmp_path: Path) -> None:
    shot = tmp_path / "page.png"

    browse(f"{served}/{page}", tmp_path, f"--screenshot={shot}")

    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 10_000  # a rendered page, not a blank one
    keep = os.environ.get("CONFIRMA_SCREENSHOTS")  # a folder to keep them in, to look at
    if keep:
        name = (page.strip("/").replace("/", "-") or "home") + ".png"
        shutil.copy(shot, Path(keep) / name)
