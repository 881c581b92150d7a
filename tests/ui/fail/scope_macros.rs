use fanvue_scopes::{scope, scopes, Scope, ScopeSet};

const TYPO: Scope = scope!(read:selfie);
const CASE: ScopeSet = scopes![read:chat, READ:FAN];
const REPEAT: ScopeSet = scopes![read:chat, read:chat];
const TWO: Scope = scope!(read:chat, write:chat);

const FAR: Scope = scope!(read:everything);
const PROTOCOL: ScopeSet = scopes![offline_access];

fn main() {}
