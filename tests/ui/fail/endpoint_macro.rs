use fanvue_scopes::{endpoint, Endpoint};

// A path near a template.
const TYPO: Endpoint = endpoint!(GET "/chat");
const NEAR: Endpoint = endpoint!(GET "/chats/{userUuid}/mesages");
// A template without that method.
const METHOD: Endpoint = endpoint!(POST "/chats/unread");
// A concrete path where the template belongs.
const CONCRETE: Endpoint = endpoint!(GET "/chats/123/messages");
const CONCRETE_OTHER_METHOD: Endpoint = endpoint!(PUT "/posts/9f2c");
const QUERY: Endpoint = endpoint!(GET "/chats?size=20");
// Methods.
const LOWERCASE: Endpoint = endpoint!(get "/chats");
const UNKNOWN_METHOD: Endpoint = endpoint!(FETCH "/chats");
// Nothing like it.
const FAR: Endpoint = endpoint!(GET "/wallets/{walletId}/balance");
// Syntax.
const NO_PATH: Endpoint = endpoint!(GET);
const TWO: Endpoint = endpoint!(GET "/chats", GET "/posts");

fn main() {}
