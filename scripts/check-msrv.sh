#!/usr/bin/env bash
# Checks the minimum Rust the README states against the `rust-version` of
# every package each build compiles: the crate with its default features,
# and the test command (`--all-features`, dev-dependencies included). Fails
# when a dependency's rises above the README's number, or the README asks
# for more than any package does.
set -euo pipefail
cd "$(dirname "$0")/.."

# name version -> rust-version, for every package any feature may pull in.
versions=$(cargo metadata --format-version 1 --all-features --locked |
  jq -r '.packages[] | "\(.name) v\(.version) \(.rust_version // "")"')

# highest EDGES CARGO_TREE_ARGS...: the highest rust-version, and who sets it.
highest() {
  local edges="$1"
  shift
  cargo tree --locked -e "$edges" --prefix none -f '{p}' "$@" |
    awk '{print $1, $2}' | sort -u |
    while read -r name version; do
      awk -v n="$name" -v v="$version" '$1 == n && $2 == v && $3 != "" {print $3, n, v}' <<<"$versions"
    done | sort -V | tail -n 1
}

failures=0
check() {
  local what="$1" stated="$2" found="$3"
  local needed=${found%% *}
  # 1.85 and 1.85.0 are the same version.
  if [ "${needed%.0}" != "${stated%.0}" ]; then
    echo "msrv: README says Rust $stated for $what, but the build needs $needed (${found#* })" >&2
    failures=$((failures + 1))
  else
    echo "msrv: $what: Rust $stated (set by ${found#* })"
  fi
}

stated_default=$(grep -oP 'Minimum Rust: \*\*\K[0-9.]+' README.md)
stated_all=$(grep -oP '\*\*\K[0-9.]+(?=\*\* for the test command)' README.md)
check "the default features" "$stated_default" "$(highest normal,build -p fanvue-scopes)"
check "the test command" "$stated_all" "$(highest normal,build,dev --workspace --all-features)"
exit $((failures > 0))
