use fanvue_scopes::{requires, Granted, InsufficientScope};

#[requires(read:chat)]
#[requires(write:chat)]
fn send(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

fn main() {}
