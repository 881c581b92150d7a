use fanvue_scopes::{requires, Granted};

// Every problem of one attribute is reported in the same build.
#[requires(read:chats, Write:Chat, read:self, read:self)]
fn everything_wrong(granted: Granted) -> impl std::fmt::Display {
    String::new()
}

fn main() {}
