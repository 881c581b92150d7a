#![deny(async_fn_in_trait)]

use fanvue_scopes::{requires, Granted, InsufficientScope};

// rustc's suggestion must read as the code the user wrote.
pub trait Chats {
    #[requires(read:chat)]
    async fn list(&self, granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(1)
    }
}

fn main() {}
