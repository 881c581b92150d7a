use fanvue_scopes::{requirement_of, Requirement};

async fn unguarded() {}

const REQUIRED: Requirement = requirement_of!(unguarded);

fn main() {}
