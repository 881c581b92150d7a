use fanvue_scopes::{requires, Granted, InsufficientScope};

#[requires(read:chat write:chat)]
fn missing_comma(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

#[requires(all(read:chat))]
fn unknown_group(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

#[requires(read:chat,, write:chat)]
fn double_comma(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

#[requires(read[chat])]
fn brackets(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

fn main() {}
