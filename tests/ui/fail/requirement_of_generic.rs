//! A route handler whose type can't be named, or that a router can't call
//! as a safe fn: refused where it is written, saying what to write.

use fanvue_scopes::{requires, Granted, InsufficientScope};

#[requires(read:chat)]
async fn with_callback(granted: Granted, each: impl Fn(u8)) -> Result<u8, InsufficientScope> {
    each(1);
    Ok(1)
}

#[requires(read:chat)]
async unsafe fn unchecked(granted: Granted) -> Result<u8, InsufficientScope> {
    Ok(1)
}

// As helpers, guarded in their bodies: both compile.
#[requires(read:chat, from = granted)]
async fn helper_with_callback(granted: Granted, each: impl Fn(u8)) -> Result<u8, InsufficientScope> {
    each(1);
    Ok(1)
}

#[requires(read:chat, from = granted)]
async unsafe fn unchecked_helper(granted: Granted) -> Result<u8, InsufficientScope> {
    Ok(1)
}

fn main() {}
