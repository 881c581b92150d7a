#!/usr/bin/env bash
# Checks the generated docs as a docs.rs reader sees them: run after
# `cargo doc --all-features --no-deps` with `--cfg docsrs` (as docs.rs builds). Each check names what a page must
# show, and fails with the page and the missing text.
set -euo pipefail
cd "$(dirname "$0")/.."
docs="${CARGO_TARGET_DIR:-target}/doc/fanvue_scopes"
failures=0

# must_not_show PAGE TEXT: TEXT is nowhere on PAGE.
must_not_show() {
  if grep -qF -- "$2" "$docs/$1"; then
    echo "docs: $1 shows \"$2\", which it must not" >&2
    failures=$((failures + 1))
  fi
}

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
# Each scope lists the endpoints that require it, folded as on the crate page.
must_show enum.Scope.html 15 '<details><summary>Required by '
must_show enum.Scope.html 1 '/users: <a href="enum.Endpoint.html#variant.GetAccount"'
# Every item behind a feature says which, as docs.rs shows it (--cfg docsrs).
badge() { must_show "$1" 1 "<code>$2</code></strong> only"; }
badge axum/index.html axum
badge actix/index.html actix-web
badge client/struct.ScopeCheck.html reqwest
badge client/struct.CallCheck.html client
badge client/struct.CallCheck.html http
badge testing/struct.StandIn.html testing
badge fn.handlers.html registry
badge openapi/struct.FanvueSecurity.html utoipa
# One summary on a re-exported macro's page, not the macros crate's appended.
must_show attr.requires.html 1 'Guards a fn with the scopes'
must_not_show attr.requires.html 'Guards a handler fn'
# Every item the crate page's feature table names is a link.
for link in 'fn.handlers.html' 'fn.least_privilege_for_handlers.html' 'axum/struct.RequireScopesLayer.html' \
  'actix/struct.RequireScopes.html' 'oauth/fn.authorize_scope_list.html' 'client/struct.CallCheck.html' 'openapi/struct.FanvueSecurity.html' \
  'client/struct.CallCheck.html#method.request' 'client/struct.ScopeCheck.html' 'testing/struct.StandIn.html'; do
  must_show index.html 1 "<a href=\"$link\""
done
# The macro and the client are documented where users look.
must_show macro.endpoint.html 1 'did you mean `GET /chats`?'
must_show client/index.html 1 'CallCheck'

# Search, in a real browser: a word of a path finds every endpoint under it.
python3 scripts/check-doc-search.py "$docs" chats tracking-links vault || failures=$((failures + 1))

if (( failures > 0 )); then
  exit 1
fi
echo "docs: every check passed"
