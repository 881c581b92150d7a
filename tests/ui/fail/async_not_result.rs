//! An async route handler that does not return a `Result`: the error is on
//! its return type, in the words of `#[requires]` or of the type checker,
//! never naming the future `#[requires]` wraps the body in.

use fanvue_scopes::{requires, Granted};

#[requires(read:chat)]
async fn list_chats(granted: Granted) -> u8 {
    1
}

#[requires(read:chat)]
async fn send(granted: Granted) -> Option<()> {
    None
}

pub struct Page;

#[requires(read:chat)]
async fn page(granted: Granted) -> Page {
    Page
}

fn main() {}
