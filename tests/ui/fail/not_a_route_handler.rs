//! Every fn that can't be a guarded route gets one error, on the fn named,
//! that says what a route handler is and what to write instead.

use fanvue_scopes::{requires, Granted, Guarded, HasScopes, InsufficientScope, Requirement, ScopeSet};

/// A sync fn: guarded in its body only.
#[requires(read:chat)]
fn sync_list(granted: Granted) -> Result<u8, InsufficientScope> {
    Ok(1)
}

/// No `#[requires]` at all.
async fn plain(granted: Granted) -> Result<u8, InsufficientScope> {
    let _ = granted;
    Ok(1)
}

pub struct Claims(ScopeSet);
impl HasScopes for Claims {
    fn granted_scopes(&self) -> ScopeSet {
        self.0
    }
}

/// Reads its grant with `from = ..`: after the extractors ran.
#[requires(read:chat, from = claims)]
async fn from_claims(claims: Claims) -> Result<u8, InsufficientScope> {
    Ok(1)
}

pub struct Chats;
impl Chats {
    /// A method: no router calls it with a `self`.
    #[requires(read:chat)]
    pub async fn list(&self, granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(1)
    }
}

/// What actix-web's `#[get("/chats")]` above `#[requires]` leaves: a
/// unit struct of the fn's name, which is a service, not the fn.
#[allow(non_camel_case_types)]
pub struct list_chats;

fn main() {
    let _ = Guarded::new(sync_list);
    let _ = Guarded::new(plain);
    let _ = Guarded::new(from_claims);
    let _ = Guarded::new(Chats::list);
    let _ = Guarded::new(list_chats);
    let _ = Requirement::of(&sync_list);
    // The attribute itself, where a handler was meant.
    let _ = Guarded::new(requires);
}
