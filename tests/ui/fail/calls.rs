use fanvue_scopes::{requires, Granted, InsufficientScope};

#[requires(calls(GET "/chat", POST "/chats/{userUuid}/messages", GET "/users/me/"))]
fn typos(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

#[requires(calls(GET "/chats", GET "/chats"))]
fn twice(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

#[requires(calls())]
fn empty(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

#[requires(calls(GET "/chats"), any(read:chat, read:fan))]
fn redundant(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

#[requires(call(GET "/chats"))]
fn misspelled(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

fn main() {}
