//! Guard: a `#[requires]` handler against the same handler without it.
//! Baseline: `unguarded`.

use divan::black_box;
use fanvue_scopes::{Granted, InsufficientScope, requires};
use fanvue_scopes_benches::GRANT_SET;

fn main() {
    divan::main();
}

#[inline(never)]
fn handler(granted: Granted) -> Result<usize, InsufficientScope> {
    Ok(granted.len())
}

#[requires(read:chat, write:chat, read:self)]
#[inline(never)]
fn guarded_handler(granted: Granted) -> Result<usize, InsufficientScope> {
    Ok(granted.len())
}

#[divan::bench]
fn unguarded() -> Result<usize, InsufficientScope> {
    handler(black_box(Granted(GRANT_SET)))
}

#[divan::bench]
fn guarded() -> Result<usize, InsufficientScope> {
    guarded_handler(black_box(Granted(GRANT_SET)))
}
