//! `#[tracing::instrument]` below `#[requires]` on a route handler would see
//! the fn `#[requires]` writes, which returns a future, not the `async fn`:
//! the error says to write it above. Above, it works (`ui/pass/fn_shapes.rs`).

use fanvue_scopes::{requires, Granted, InsufficientScope};

#[requires(read:chat)]
#[tracing::instrument(err)]
async fn list_chats(granted: Granted) -> Result<u8, InsufficientScope> {
    Ok(1)
}

#[requires(read:chat)]
#[tracing::instrument(ret)]
async fn count_chats(granted: Granted) -> Result<u8, InsufficientScope> {
    Ok(1)
}

fn main() {}
