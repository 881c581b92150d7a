//! `fanvue-scopes` renamed to `fvs` in `Cargo.toml`: every macro still
//! expands to code that finds the crate.
#![deny(warnings)]

use fvs::{Granted, InsufficientScope, Requirement, Scope, ScopeSet};

pub const CHAT: ScopeSet = fvs::scopes![read:chat, write:chat];
pub const ME: Scope = fvs::scope!(read:self);

#[fvs::requires(write:chat, crate = fvs)]
pub async fn send_message(granted: Granted, text: String) -> Result<String, InsufficientScope> {
    Ok(text)
}

// serde's spelling: the crate as a string.
#[fvs::requires(read:self, any(read:fan, read:creator), crate = "fvs")]
pub fn profile(granted: Granted) -> Result<&'static str, InsufficientScope> {
    Ok("profile")
}

pub const SEND_MESSAGE: Requirement = *Requirement::of(&send_message);

pub fn send_message_route() -> fvs::Guarded<impl Copy> {
    fvs::Guarded::new(send_message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_renamed_crate_guards_and_names_scopes() {
        assert_eq!(
            CHAT,
            ScopeSet::from_scopes(&[Scope::ReadChat, Scope::WriteChat])
        );
        assert_eq!(ME, Scope::ReadSelf);
        assert_eq!(SEND_MESSAGE.all(), fvs::scopes![write:chat]);
        assert_eq!(
            profile(Granted(fvs::scopes![read:self, read:fan])),
            Ok("profile")
        );
        let refused = profile(Granted(fvs::scopes![read:self])).unwrap_err();
        assert_eq!(refused.missing(), fvs::scopes![read:fan, read:creator]);
    }
}
