use fanvue_scopes::{requires, Granted};

#[requires(read:self)]
fn me(granted: Granted) -> String {
    String::from("me")
}

#[requires(read:self)]
fn returns_nothing(granted: Granted) {}

fn main() {}
