use fanvue_scopes::{requires, InsufficientScope, ScopeSet};

pub struct Agency;

impl Agency {
    // `to_grant` is what the request asks to grant someone else, not what the
    // caller holds: guarding with it would let the request guard itself.
    #[requires(write:agency)]
    pub fn invite_member(&self, email: &str, to_grant: ScopeSet) -> Result<String, InsufficientScope> {
        Ok(format!("{email}: {to_grant}"))
    }
}

fn main() {}
