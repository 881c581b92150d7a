use fanvue_scopes::{requires, Granted, InsufficientScope};

#[requires()]
fn nothing_required(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

#[requires(read:chat, any())]
fn empty_group(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

fn main() {}
