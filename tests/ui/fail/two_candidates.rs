use fanvue_scopes::{requires, Granted, InsufficientScope, ScopeSet};

#[requires(read:self)]
fn me(granted: Granted, delegated: &ScopeSet) -> Result<(), InsufficientScope> {
    Ok(())
}

fn main() {}
