use fanvue_scopes::{requires, Granted, InsufficientScope};

#[requires(read:self)]
const fn me(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

fn main() {}
