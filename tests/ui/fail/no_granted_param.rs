use fanvue_scopes::{requires, InsufficientScope};

#[requires(read:self)]
fn me(user_id: u64) -> Result<u64, InsufficientScope> {
    Ok(user_id)
}

fn main() {}
