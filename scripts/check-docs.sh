#!/usr/bin/env bash
# Checks the generated docs as a docs.rs reader sees them: run after
# `cargo doc --all-features --no-deps`. Each check names what a page must
# show, and fails with the page and the missing text.
set -euo pipefail
cd "$(dirname "$0")/.."
docs="${CARGO_TARGET_DIR:-target}/doc/fanvue_scopes"
failures=0

# must_show PAGE COUNT TEXT: TEXT occurs at least COUNT times on PAGE.
must_show() {
  local page="$docs/$1" count="$2" text="$3" found
  found=$(grep -oF -- "$text" "$page" | wc -l || true)
  if (( found < count )); then
    echo "docs: $1 shows \"$text\" $found time(s), expected at least $count" >&2
    failures=$((failures + 1))
  fi
}

# The crate page: each of the 15 scopes' rows folds away its endpoints,
# grouped by the first segment of their path, each a link to its variant.
must_show index.html 15 '<td><details><summary>'
must_show index.html 1 '<strong>/chats</strong>: <a href="enum.Endpoint.html#variant.ListChats"'
# Each endpoint: method, path, summary, scopes, and Fanvue's page where known.
must_show enum.Endpoint.html 143 'class="variant"'
must_show enum.Endpoint.html 1 '<code>GET /chats/{userUuid}/messages</code>: List messages.'
must_show enum.Endpoint.html 1 'Requires <a href="enum.Scope.html#variant.ReadCreator" title="variant fanvue_scopes::Scope::ReadCreator"><code>read:creator</code></a>, <a href="enum.Scope.html#variant.ReadChat"'
must_show enum.Endpoint.html 78 '>Fanvue reference</a>'
must_show enum.Endpoint.html 1 'href="https://api.fanvue.com/docs/api-reference/reference/chats/list-chats"'
# Each scope lists the endpoints that require it.
must_show enum.Scope.html 15 'Required by these endpoints:'
must_show enum.Scope.html 1 '/users: <a href="enum.Endpoint.html#variant.GetAccount"'
# The macro and the client are documented where users look.
must_show macro.endpoint.html 1 'did you mean `GET /chats`?'
must_show client/index.html 1 'CallCheck'

if (( failures > 0 )); then
  exit 1
fi
echo "docs: every check passed"
