use fanvue_scopes::requires as needs;
use fanvue_scopes::{Granted, InsufficientScope};

// A renamed `#[requires]` given twice is recognised by what it is: on a sync
// fn, two would otherwise silently require both.
#[needs(read:chat)]
#[needs(write:chat)]
fn send(granted: Granted) -> Result<(), InsufficientScope> {
    Ok(())
}

fn main() {}
