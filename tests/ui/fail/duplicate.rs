use fanvue_scopes::{requires, Granted, InsufficientScope};

#[requires(read:chat, write:chat, read:chat)]
fn repeated(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

#[requires(read:chat, any(read:fan, read:chat))]
fn repeated_in_any(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

fn main() {}
