//! Inputs shared by the benchmarks: the same grant and requirement in each
//! representation users meet them in.
//!
//! Run with `scripts/bench.sh`, which prints each baseline's ratio.

use fanvue_scopes::{ScopeSet, scopes};
use std::collections::HashSet;

/// A 6-scope grant, as a token response would list it.
pub const GRANT: &str = "read:self read:chat write:chat read:fan read:media read:insights";
/// A 3-scope requirement, all of it in [`GRANT`].
pub const REQUIRED: [&str; 3] = ["read:chat", "write:chat", "read:self"];

pub const GRANT_SET: ScopeSet =
    scopes![read:self, read:chat, write:chat, read:fan, read:media, read:insights];
pub const REQUIRED_SET: ScopeSet = scopes![read:chat, write:chat, read:self];

/// A typical token's scope string.
pub const TYPICAL: &str = "read:self read:chat write:chat read:media";
/// Every scope plus two this crate does not know.
pub const EVERYTHING: &str = "read:self read:chat write:chat read:fan read:creator write:creator \
    read:media write:media read:post write:post read:insights read:tracking_links \
    write:tracking_links read:agency write:agency read:future write:future";

pub fn grant_hash_set() -> HashSet<String> {
    GRANT.split_whitespace().map(str::to_owned).collect()
}

pub fn grant_vec() -> Vec<String> {
    GRANT.split_whitespace().map(str::to_owned).collect()
}
