// `#[requires]` reads an MCP tool's name from rmcp's `#[tool]` below it,
// and a name that is not a string literal can't be read. (rmcp is not a
// dependency of these tests: hence rustc's second error, about `tool`.)
use fanvue_scopes::{requires, Granted, InsufficientScope};

const NAME: &str = "list-chats";

struct Chats;

impl Chats {
    #[requires(read:chat)]
    #[tool(name = NAME)]
    async fn list_chats(&self, granted: Granted) -> Result<(), InsufficientScope> {
        Ok(())
    }
}

fn main() {}
