"""Searches the generated docs in headless Chromium, as a reader does, and
checks that a word of a path finds every endpoint whose path has it.

Usage: python3 scripts/check-doc-search.py DOCS_DIR WORD...
The expected endpoints are read from the Endpoint page itself (each
variant's documented `METHOD /path`), not from the aliases under test."""

import html
import pathlib
import re
import subprocess
import sys

docs = pathlib.Path(sys.argv[1]).resolve()
words = sys.argv[2:]
page = (docs / "enum.Endpoint.html").read_text()
paths = dict(
    re.findall(
        r'id="variant\.(\w+)".*?<code>(?:GET|POST|PUT|PATCH|DELETE) ([^<]+)</code>',
        page,
        re.S,
    )
)
if len(paths) < 100:
    sys.exit(f"docs search: read only {len(paths)} endpoints from enum.Endpoint.html")

failures = 0
for word in words:
    expected = {
        variant
        for variant, path in paths.items()
        if word in html.unescape(path).strip("/").split("/")
    }
    # Chromium's virtual time can run out while the search index, a real
    # file read, is still loading: the page then has no results yet. That is
    # the browser's timing, not the docs, so a few tries; a search that
    # never shows results still fails.
    for attempt in range(5):
        dom = subprocess.run(
            [
                "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--virtual-time-budget=15000", "--dump-dom",
                (docs / "index.html").as_uri() + "?search=" + word,
            ],
            capture_output=True, text=True, timeout=120, check=True,
        ).stdout
        start = dom.find('class="search-results active"')
        if start >= 0:
            break
    if start < 0:
        sys.exit(f"docs search: no results page for {word!r} in 5 tries")
    end = dom.find('class="search-results"', start + 1)
    results = dom[start : end if end > 0 else len(dom)]
    found = set(re.findall(r'href="[^"]*enum\.Endpoint\.html#variant\.(\w+)"', results))
    missing = sorted(expected - found)
    if not expected or missing:
        print(f"docs search: {word!r} misses {missing or 'every endpoint'}", file=sys.stderr)
        failures += 1
    else:
        print(f"docs search: {word!r} finds all {len(expected)} endpoints under it")
sys.exit(1 if failures else 0)
