use fanvue_scopes::{requires, Granted, InsufficientScope};

#[requires(Read:Chat)]
fn list_chats(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

fn main() {}
