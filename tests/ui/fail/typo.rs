use fanvue_scopes::{requires, Granted, InsufficientScope};

#[requires(read:chats)]
fn list_chats(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

fn main() {}
