//! `#[requires]` written twice on an async fn: one error, that one.

use fanvue_scopes::{requires, Granted, InsufficientScope};

#[requires(read:chat)]
#[requires(write:chat)]
async fn send(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

fn main() {}
