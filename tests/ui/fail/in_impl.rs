use fanvue_scopes::{requires, Granted, InsufficientScope};

pub struct Chats;

impl Chats {
    // `in_impl` was needed once; now it says it is not.
    #[requires(read:chat, in_impl)]
    pub async fn list(granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(1)
    }
}

fn main() {}
