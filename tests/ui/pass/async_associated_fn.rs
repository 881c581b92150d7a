use fanvue_scopes::{Requirement, requires, scopes, Granted, InsufficientScope};

pub struct Chats;

impl Chats {
    /// An associated `async fn` handler: `in_impl` puts its route companion
    /// in the `impl` too.
    #[requires(read:chat)]
    pub async fn list(granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(1)
    }
}

pub mod routes {
    use super::*;

    #[requires(write:chat)]
    pub async fn r#send(granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(2)
    }
}

const LIST: Requirement = *Requirement::of(&Chats::list);
const SEND: Requirement = *Requirement::of(&routes::r#send);

fn main() {
    assert_eq!(LIST.all(), scopes![read:chat]);
    assert_eq!(SEND.all(), scopes![write:chat]);
    let _ = Chats::list(Granted(scopes![read:chat]));
}
