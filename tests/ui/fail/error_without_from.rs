use fanvue_scopes::{requires, Granted};

#[derive(Debug)]
struct MyError;

#[requires(read:self)]
fn me(granted: Granted) -> Result<(), MyError> {
    Ok(())
}

fn main() {}
