//! `#[requires]` under `#[async_trait]` (and rmcp's `#[tool]`, which boxes
//! an `async fn`'s future the same way): the guard runs when the fn is
//! called, and a refusal is the boxed future's output.

use async_trait::async_trait;
use fanvue_scopes::{requires, scopes, Granted, InsufficientScope};
use std::future::Future;
use std::task::{Context, Poll, Waker};

#[async_trait]
pub trait Chats {
    async fn list(&self, granted: Granted) -> Result<u8, InsufficientScope>;
}

pub struct Server;

#[async_trait]
impl Chats for Server {
    // The body never reads the grant: `_granted`, or async_trait's own
    // binding of it would be an unused variable.
    #[requires(read:chat)]
    async fn list(&self, _granted: Granted) -> Result<u8, InsufficientScope> {
        Ok(1)
    }
}

/// The output of a future that is ready when first polled.
fn ready<T>(future: impl Future<Output = T>) -> T {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the future was not ready"),
    }
}

fn main() {
    assert_eq!(ready(Server.list(Granted(scopes![read:chat]))), Ok(1));
    let refused = ready(Server.list(Granted(scopes![read:self]))).unwrap_err();
    assert_eq!(refused.missing(), scopes![read:chat]);
}
