use fanvue_scopes::requires;

#[requires(read:self)]
struct Handler;

fn main() {}
