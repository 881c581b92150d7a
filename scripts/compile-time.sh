#!/usr/bin/env bash
# What the macros cost the compiler, side by side with the peer.
#
# Each case is a crate of $HANDLERS items, one line each, differing only in
# the macro under test. A warm rebuild (dependencies built, the crate's own
# source touched) is timed $RUNS times per case, the cases interleaved run
# by run so that drift on the machine hits them all alike; the table shows
# medians and ratios to the case's baseline.
#
#   scripts/compile-time.sh                  # 300 handlers, 7 runs
#   HANDLERS=1000 RUNS=9 scripts/compile-time.sh
#   FANVUE_SCOPES=/path/to/old/checkout CASES="plain scope scopes requires" scripts/compile-time.sh
#
# FANVUE_SCOPES measures another checkout of this workspace (before and
# after a change); CASES picks cases by name. Needs python3 for arithmetic.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
source_root=${FANVUE_SCOPES:-$root}
handlers=${HANDLERS:-300}
runs=${RUNS:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_TERM_QUIET=true

all_cases="plain scope scopes endpoint requires requires-registry calls calls-as-names
  actix-plain actix-grants actix-requires actix-requires-registry actix-calls
  actix-calls-as-names axum-plain axum-requires macros-crate runtime-crate"
cases=${CASES:-$all_cases}

scopes=(read:self read:chat write:chat read:fan read:creator write:creator read:media
        write:media read:post write:post read:insights read:tracking_links
        write:tracking_links read:agency write:agency)
# Two endpoints per handler, whose scopes are two or three scope names.
endpoints=('GET "/chats"' 'POST "/chats/{userUuid}/message"' 'GET "/users/me"'
           'GET "/creators/{creatorUserUuid}/chats"' 'DELETE "/posts/{uuid}"'
           'GET "/insights/earnings"' 'POST "/tracking-links"' 'GET "/agencies/team-members"'
           'PATCH "/vault/folders/{folderName}"' 'GET "/media/{uuid}"')
# The scopes each of those endpoints requires, as scopes.toml lists them.
endpoint_scopes=(read:chat write:chat read:self "read:creator read:chat" write:post read:insights
                 write:tracking_links read:agency write:media read:media)

# The baseline each case is compared with.
baseline() {
  case $1 in
    *-crate) echo "$1" ;;
    calls) echo calls-as-names ;;
    actix-calls) echo actix-calls-as-names ;;
    actix-requires*|actix-calls) echo actix-grants ;;
    actix-*) echo actix-plain ;;
    axum-*) echo axum-plain ;;
    *) echo plain ;;
  esac
}

# manifest NAME DEPENDENCIES
manifest() {
  mkdir -p "$work/$1/src"
  cp "$root/Cargo.lock" "$work/$1/Cargo.lock"
  cat > "$work/$1/Cargo.toml" <<TOML
[package]
name = "case-$1"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
$2

[workspace]
TOML
}

ours() { echo "fanvue-scopes = { path = \"$source_root/fanvue-scopes\", $1 }"; }
actix='actix-web = { version = "4.11", default-features = false }'
axum='axum = { version = "0.8.4", default-features = false }'

# item CASE I: the case's I-th item.
item() {
  local case=$1 i=$2
  local a=${scopes[i % 15]} b=${scopes[(i * 7 + 3) % 15]}
  [ "$a" = "$b" ] && b=${scopes[(i + 1) % 15]}
  local k1=$((i % 10)) k2=$(((i * 3 + 1) % 10))
  [ $k1 = $k2 ] && k2=$(((i + 1) % 10))
  local e1=${endpoints[k1]} e2=${endpoints[k2]}
  # The same requirement as calls($e1, $e2), written as scope names.
  local names
  names=$(printf '%s\n' ${endpoint_scopes[k1]} ${endpoint_scopes[k2]} | awk '!seen[$0]++' | paste -sd, -)
  local sync="pub fn handler_$i(granted: Granted) -> Result<usize, InsufficientScope> { Ok(granted.len() + $i) }"
  local actix_ours="pub async fn handler_$i(granted: Granted) -> Result<HttpResponse, InsufficientScope> { Ok(HttpResponse::Ok().body(\"$i\")) }"
  local actix_plain="pub async fn handler_$i() -> HttpResponse { HttpResponse::Ok().body(\"$i\") }"
  local axum_ours="pub async fn handler_$i(granted: Granted) -> Result<&'static str, InsufficientScope> { Ok(\"$i\") }"
  case $case in
    plain) echo "$sync" ;;
    scope) echo "pub const SCOPE_$i: Scope = scope!($a);" ;;
    scopes) echo "pub const SCOPES_$i: ScopeSet = scopes![$a, $b];" ;;
    endpoint) echo "pub const ENDPOINT_$i: Endpoint = endpoint!($e1);" ;;
    requires|requires-registry) echo "#[requires($a, $b)] $sync" ;;
    calls) echo "#[requires(calls($e1, $e2))] $sync" ;;
    calls-as-names) echo "#[requires($names)] $sync" ;;
    actix-plain) echo "$actix_plain" ;;
    actix-grants) echo "#[protect(\"$a\", \"$b\")] $actix_plain" ;;
    actix-requires|actix-requires-registry) echo "#[requires($a, $b)] $actix_ours" ;;
    actix-calls) echo "#[requires(calls($e1, $e2))] $actix_ours" ;;
    actix-calls-as-names) echo "#[requires($names)] $actix_ours" ;;
    axum-plain) echo "$axum_ours" ;;
    axum-requires) echo "#[requires($a, $b)] $axum_ours" ;;
  esac
}

generate() {
  local case=$1 deps prelude
  case $case in
    actix-grants)
      deps="$actix
actix-web-grants = \"4.1\""
      prelude="use actix_web::HttpResponse; use actix_web_grants::protect;" ;;
    actix-*registry)
      deps="$actix
$(ours 'features = ["actix-web", "registry"]')"
      prelude="use actix_web::HttpResponse;" ;;
    actix-*)
      deps="$actix
$(ours 'features = ["actix-web"]')"
      prelude="use actix_web::HttpResponse;" ;;
    axum-*)
      deps="$axum
$(ours 'features = ["axum"]')" ;;
    *registry) deps=$(ours 'features = ["registry"]') ;;
    *) deps=$(ours 'default-features = true') ;;
  esac
  manifest "$case" "$deps"
  {
    echo "#![allow(unused_variables, unused_imports)]"
    [ "$case" != actix-grants ] && [ "$case" != actix-plain ] &&
      echo "use fanvue_scopes::*;"
    echo "${prelude:-}"
    for ((i = 0; i < handlers; i++)); do item "$case" "$i"; done
  } > "$work/$case/src/lib.rs"
}

now() { date +%s.%N; }
# The two crates themselves, rebuilt alone with their dependencies built:
# what the catalog adds to every user's first build.
crate_dir() { case $1 in macros-crate) echo fanvue-scopes-macros ;; runtime-crate) echo fanvue-scopes ;; esac; }
build() {
  case $1 in
    *-crate) cargo build --offline --manifest-path "$source_root/$(crate_dir "$1")/Cargo.toml" \
               --target-dir "$work/target-own" >/dev/null 2>&1 ;;
    *) cargo build --offline --manifest-path "$work/$1/Cargo.toml" --target-dir "$work/target" >/dev/null 2>&1 ;;
  esac
}
touch_source() {
  case $1 in
    *-crate) touch "$source_root/$(crate_dir "$1")/src/lib.rs" ;;
    *) touch "$work/$1/src/lib.rs" ;;
  esac
}
timed() { local start end; start=$(now); build "$1"; end=$(now); python3 -c "print(f'{$end - $start:.3f}')"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

needed=$cases
# Twice: a baseline may have a baseline of its own.
for _ in 1 2; do
  for case in $needed; do needed="$needed $(baseline "$case")"; done
done
needed=$(printf '%s\n' $needed | awk '!seen[$0]++')

echo "machine: $(nproc) cores, $(rustc --version), $(date -u +%Y-%m-%d)"
echo "source: $source_root ($(git -C "$source_root" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "$handlers items per case, warm rebuild, median of $runs interleaved runs"
echo

for case in $needed; do
  [[ $case == *-crate ]] || generate "$case"
  build "$case" || { echo "case $case does not build:" >&2; cargo build --offline --manifest-path "$work/$case/Cargo.toml" --target-dir "$work/target" 2>&1 | tail -20 >&2; exit 1; }
done

# The crate cases touch the checkout's own sources, which every other case
# depends on: they run in a pass of their own, after the others.
declare -A times
for pass in handlers crates; do
  for ((r = 0; r < runs; r++)); do
    for case in $needed; do
      [[ $case == *-crate ]] && [ $pass = handlers ] && continue
      [[ $case != *-crate ]] && [ $pass = crates ] && continue
      touch_source "$case"
      times[$case]="${times[$case]:-} $(timed "$case")"
    done
  done
done

declare -A medians
for case in $needed; do medians[$case]=$(median ${times[$case]}); done

printf '%-28s %9s  %-14s %7s  %s\n' case median baseline ratio "per item vs baseline"
for case in $needed; do
  base=$(baseline "$case")
  if [ "$case" = "$base" ]; then
    printf '%-28s %8ss\n' "$case" "${medians[$case]}"
  else
    python3 - "$case" "${medians[$case]}" "$base" "${medians[$base]}" "$handlers" <<'PY'
import sys
case, t, base, b, n = sys.argv[1], float(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
print(f"{case:<28} {t:8.3f}s  {base:<14} {t / b:6.2f}x  {(t - b) / n * 1000:+.2f} ms")
PY
  fi
done
