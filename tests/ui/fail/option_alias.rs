use fanvue_scopes::{requires, Granted};

type Maybe<T> = Option<T>;

// An alias is up to the type checker: this one is no `Result`.
#[requires(read:self)]
fn me(granted: Granted) -> Maybe<u8> {
    Some(1)
}

fn main() {}
