mod handlers {
    use fanvue_scopes::{requires, Granted, InsufficientScope};

    #[requires(read:chat)]
    async fn list(granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(1)
    }
}

fn main() {
    // rustc's own words: the fn is private.
    let _ = fanvue_scopes::Guarded::new(handlers::list);
}
