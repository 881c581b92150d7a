//! `#[cfg(..)]` on the `Granted` parameter: the guard would read a
//! parameter that may not be there, so `#[requires]` refuses it and says so.

use fanvue_scopes::{requires, InsufficientScope, ScopeSet};

#[requires(read:chat)]
async fn list_chats(
    #[cfg(test)] granted: fanvue_scopes::Granted,
    wanted: ScopeSet,
) -> Result<u8, InsufficientScope> {
    let _ = wanted;
    Ok(1)
}

fn main() {}
