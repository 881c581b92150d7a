//! Parse: a token's scope string into something a check can use.
//! Baseline: `hash_set_of_strings` (what apps write today). That the
//! lenient parser allocates nothing is tested in `fanvue-scopes/tests/alloc.rs`;
//! no profiling allocator here, so the baseline's allocations cost what they
//! cost in an app.

use divan::black_box;
use fanvue_scopes::ScopeSet;
use fanvue_scopes_benches::{EVERYTHING, TYPICAL};
use std::collections::HashSet;

fn main() {
    divan::main();
}

#[divan::bench(args = [TYPICAL, EVERYTHING])]
fn scope_set_lenient(scopes: &str) -> ScopeSet {
    ScopeSet::parse_lenient(black_box(scopes)).known()
}

#[divan::bench(args = [TYPICAL, EVERYTHING])]
fn hash_set_of_strings(scopes: &str) -> HashSet<String> {
    black_box(scopes)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Linear time on hostile input: the time per byte stays flat from 64 KiB
/// to 1 MiB of mixed known and unknown names.
#[divan::bench(args = [64 << 10, 256 << 10, 1 << 20])]
fn scope_set_lenient_large(bencher: divan::Bencher, bytes: usize) {
    let unit = "read:chat read:unknown\t";
    let text = unit.repeat(bytes / unit.len());
    bencher
        .counter(divan::counter::BytesCount::of_str(&text))
        .bench_local(|| ScopeSet::parse_lenient(black_box(&text)).known());
}
