use fanvue_scopes::{guarded, requires, Granted, InsufficientScope};

pub struct Chats;

// An associated handler without `in_impl`: its companion would be a struct,
// which can't stand in an `impl`.
impl Chats {
    #[requires(read:chat)]
    pub async fn list(granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(1)
    }
}

pub trait Api {
    async fn list(granted: Granted) -> Result<u8, InsufficientScope>;
}

pub struct Server;

// A trait's fn can't be a guarded handler: the trait would have to
// declare its companion.
impl Api for Server {
    #[requires(read:chat, in_impl)]
    async fn list(granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(1)
    }
}

async fn plain() {}

fn main() {
    // Not a `#[requires]` handler.
    let _ = guarded!(plain);
    let _ = guarded!(<Server as Api>::list);
}
