"""Copies examples/quickstart.rs into README.md's ```rust block that shows
it (the one after "### A complete axum program"). A test checks the two
stay identical; run this after editing the example."""

import pathlib
import re

root = pathlib.Path(__file__).resolve().parent.parent
readme = root / "README.md"
program = (root / "fanvue-scopes/examples/quickstart.rs").read_text()
text = readme.read_text()
start = text.index("### A complete axum program")
block = re.compile(r"```rust\n.*?```", re.S)
match = block.search(text, start)
readme.write_text(text[: match.start()] + "```rust\n" + program + "```" + text[match.end():])
