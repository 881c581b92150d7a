//! `calls(..)` beside scope names and `any(..)`, on sync and async handlers,
//! and `endpoint!` in const position.
use fanvue_scopes::{endpoint, Requirement, requires, Endpoint, Granted, InsufficientScope};

#[requires(calls(GET "/chats/{userUuid}/messages", POST "/chats/{userUuid}/message"))]
fn reply(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

#[requires(read:self, calls(GET "/creators/{creatorUserUuid}/chats"), any(read:fan, read:media))]
async fn creator_chats(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

#[requires(calls(GET "/users/me",), calls(DELETE "/posts/{uuid}"))]
fn two_groups(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

const ME: Endpoint = endpoint!(GET "/users/me");
const GUARD: Requirement = *Requirement::of(&creator_chats);

fn main() {
    let _ = (reply, two_groups, ME, GUARD);
}
