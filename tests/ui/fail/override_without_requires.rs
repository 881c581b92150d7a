//! A trait's default method has `#[requires]`; an impl overrides it
//! without: refused, and the error says to add `#[requires]` to the override.

use fanvue_scopes::{requires, Granted, InsufficientScope};

pub trait Chats {
    #[requires(read:chat)]
    async fn list(granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(1)
    }
}

pub struct Mine;

impl Chats for Mine {
    async fn list(granted: Granted) -> Result<u8, InsufficientScope> {
        let _ = granted;
        Ok(2)
    }
}

fn main() {}
