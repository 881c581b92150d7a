use fanvue_scopes::{requires, Granted};

#[derive(Debug)]
struct MyError;

#[requires(read:self)]
fn me(granted: Granted) -> Result<(), MyError> {
    Ok(())
}

fn main() {}

/// The same as a route handler.
#[requires(read:self)]
async fn me_routed(granted: Granted) -> Result<(), MyError> {
    Ok(())
}
