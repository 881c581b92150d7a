#!/usr/bin/env bash
# What #[requires] costs the compiler: a crate of 300 annotated handlers
# against the same crate without the attribute, built cold and warm, plus
# the macros crate's own cold build time and dependency count.
#
#   scripts/compile-time.sh            # 300 handlers, 3 warm runs each
#   HANDLERS=1000 RUNS=5 scripts/compile-time.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
handlers=${HANDLERS:-300}
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_TERM_QUIET=true

scopes=(read:self read:chat write:chat read:fan read:creator write:creator read:media
        write:media read:post write:post read:insights read:tracking_links
        write:tracking_links read:agency write:agency)

# generate NAME ANNOTATED FEATURES: a crate of $handlers handler fns.
generate() {
  local name=$1 annotated=$2 features=$3 dir="$work/$1"
  mkdir -p "$dir/src"
  cp "$root/Cargo.lock" "$dir/Cargo.lock"
  cat > "$dir/Cargo.toml" <<TOML
[package]
name = "$name"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
fanvue-scopes = { path = "$root/fanvue-scopes", $features }

[workspace]
TOML
  {
    echo "#![allow(unused_variables)]"
    echo "use fanvue_scopes::{Granted, InsufficientScope};"
    for ((i = 0; i < handlers; i++)); do
      local first=${scopes[i % 15]} second=${scopes[(i * 7 + 3) % 15]}
      [ "$first" = "$second" ] && second=${scopes[(i + 1) % 15]}
      if [ "$annotated" = yes ]; then
        echo "#[fanvue_scopes::requires($first, $second)]"
      fi
      echo "pub fn handler_$i(granted: Granted) -> Result<usize, InsufficientScope> { Ok(granted.len() + $i) }"
    done
  } > "$dir/src/lib.rs"
}

now() { date +%s.%N; }

# seconds CMD...: wall time of one run of CMD.
seconds() {
  local start end
  start=$(now)
  "$@" >/dev/null 2>&1
  end=$(now)
  python3 -c "print(f'{$end - $start:.2f}')"
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

generate plain no 'default-features = true'
generate annotated yes 'default-features = true'
# Without the handler registry (inventory), which is most of the cost.
generate annotated-unregistered yes 'default-features = false, features = ["serde"]'

build() { cargo build --offline --manifest-path "$work/$1/Cargo.toml" --target-dir "$2"; }

echo "machine: $(nproc) cores, $(rustc --version)"
echo "crates: $handlers handlers each; annotated ones carry #[requires(a, b)]"
echo

# Cold: an empty target dir, so fanvue-scopes, the macros and their deps too.
cold_plain=$(seconds build plain "$work/cold-plain")
cold_annotated=$(seconds build annotated "$work/cold-annotated")
echo "cold build    plain ${cold_plain}s   annotated ${cold_annotated}s   ratio $(ratio "$cold_annotated" "$cold_plain")"

# Warm: dependencies and macros built; only the crate itself recompiles.
warm() {
  local times=()
  build "$1" "$work/warm" >/dev/null 2>&1
  for ((r = 0; r < runs; r++)); do
    touch "$work/$1/src/lib.rs"
    times+=("$(seconds build "$1" "$work/warm")")
  done
  median "${times[@]}"
}
warm_plain=$(warm plain)
warm_annotated=$(warm annotated)
warm_unregistered=$(warm annotated-unregistered)
echo "warm rebuild  plain ${warm_plain}s   annotated ${warm_annotated}s   ratio $(ratio "$warm_annotated" "$warm_plain")   (median of $runs)"
echo "warm rebuild  plain ${warm_plain}s   annotated without the registry feature ${warm_unregistered}s   ratio $(ratio "$warm_unregistered" "$warm_plain")"

macros_cold=$(seconds cargo build --offline --manifest-path "$root/Cargo.toml" -p fanvue-scopes-macros --target-dir "$work/macros")
deps=$(cargo tree --offline --manifest-path "$root/Cargo.toml" -p fanvue-scopes-macros -e normal --prefix none \
  | sed 's/ (\*)$//; s/ (proc-macro)$//' | sort -u | grep -vc '^fanvue-scopes-macros ')
echo "fanvue-scopes-macros: cold build ${macros_cold}s, $deps dependencies (transitive, normal)"
