//! A local fn without `#[requires]` shadows a glob-imported `#[requires]`
//! fn of the same name: `Guarded::new` reads the requirement from the fn
//! it is given, so the local fn is refused, by name, and never guarded with
//! the other fn's scopes.

mod handlers {
    use fanvue_scopes::{requires, Granted, InsufficientScope};

    #[requires(read:self)]
    pub async fn me(granted: Granted) -> Result<&'static str, InsufficientScope> {
        Ok("me")
    }
}

use fanvue_scopes::{Granted, Guarded, InsufficientScope};
use handlers::*;

async fn me(granted: Granted) -> Result<&'static str, InsufficientScope> {
    let _ = granted;
    Ok("everyone's data")
}

fn main() {
    let _ = Guarded::new(me);
}
