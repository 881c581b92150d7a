use fanvue_scopes::{requires, Granted, InsufficientScope};

#[requires(read:self)]
fn me(granted: Granted, delegated: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

fn main() {}
