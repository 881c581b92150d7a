use fanvue_scopes::{requires, Granted as Grant, InsufficientScope};

// The macro sees type names, not types: a renamed `Granted` is not found.
#[requires(read:self)]
fn me(grant: Grant) -> Result<(), InsufficientScope> {
    Ok(())
}

fn main() {}
