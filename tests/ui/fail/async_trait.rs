use async_trait::async_trait;
use fanvue_scopes::{requires, Granted, InsufficientScope};

#[async_trait]
pub trait Chats {
    async fn list(&self, granted: Granted) -> Result<u8, InsufficientScope>;
}

pub struct Server;

#[async_trait]
impl Chats for Server {
    #[requires(read:chat)]
    async fn list(&self, granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(1)
    }
}

fn main() {}
