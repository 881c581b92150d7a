//! The lenient parser, the check and `Endpoint::find` allocate nothing,
//! whatever the token or the path holds: unknown names are re-read from the
//! input, never collected, and a path's segments live on the stack.
//!
//! The counting allocator is process-wide, so this binary has no test
//! harness (`harness = false`): it runs on the main thread alone, and no
//! harness thread can allocate while a region is measured.

use fanvue_scopes::{Endpoint, Requirement, ScopeSet, scopes};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::hint::black_box;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    parsing_and_checking_do_not_allocate();
    finding_endpoints_does_not_allocate();
    println!("alloc: 2 passed, 0 failed");
}

fn parsing_and_checking_do_not_allocate() {
    let typical = String::from("read:self read:chat write:chat read:media");
    let hostile = "read:unknown ".repeat(10_000) + "read:chat";
    static REQUIRED: Requirement =
        Requirement::new(scopes![read:chat], &[scopes![read:fan, read:self]]);

    let region = Region::new(GLOBAL);
    let known = ScopeSet::parse_lenient(black_box(&typical));
    let many_unknown = ScopeSet::parse_lenient(black_box(&hostile));
    let unknown_count = many_unknown.unknown().count();
    let passed = REQUIRED.check(known.known()).is_ok();
    let refused = REQUIRED.check(many_unknown.known()).is_err();
    let change = region.change();

    assert_eq!(change.allocations, 0, "{change:?}");
    assert_eq!(change.reallocations, 0, "{change:?}");
    assert_eq!(known.known().len(), 4);
    assert_eq!(unknown_count, 10_000);
    assert!(passed && refused);

    // The counter works: building the string form does allocate.
    let region = Region::new(GLOBAL);
    black_box(known.known().to_string());
    assert!(region.change().allocations > 0);
}

fn finding_endpoints_does_not_allocate() {
    let paths = [
        String::from("/chats/0b7c1a9e-4b1c-4f2e-9a7d-5e2a8c1d0f3b/messages?size=20"),
        String::from("/creators/c1/tracking-links/t2/users/u3/metadata"),
        String::from("/chats/unread"),
        String::from("/no/such/endpoint"),
        "/chats".repeat(100_000),
        format!("/chats/{}/messages", "a".repeat(1 << 20)),
    ];
    let region = Region::new(GLOBAL);
    let found: usize = paths
        .iter()
        .filter_map(|path| Endpoint::find(black_box("GET"), black_box(path)))
        .count();
    let refused = Endpoint::SendMessage
        .check(black_box(ScopeSet::EMPTY))
        .is_err();
    let change = region.change();

    assert_eq!(change.allocations, 0, "{change:?}");
    assert_eq!(change.reallocations, 0, "{change:?}");
    assert_eq!(found, 4);
    assert!(refused);
}
