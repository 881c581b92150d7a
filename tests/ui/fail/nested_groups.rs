use fanvue_scopes::{requires, Granted, InsufficientScope};

#[requires(any(calls(GET "/chats")))]
fn a(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

#[requires(calls(calls(GET "/chats")))]
fn b(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

#[requires(any(read:fan, any(read:creator)))]
fn c(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

#[requires(read:chat, crate = "not a path")]
fn d(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

#[requires(read:chat, crate = 42)]
fn e(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

fn main() {}

// A route handler's companion carries at most four `any(..)` groups.
#[requires(any(read:fan, read:creator), any(read:media, write:media), any(read:post, write:post), any(read:agency, write:agency), any(read:tracking_links, write:tracking_links))]
async fn f(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}
