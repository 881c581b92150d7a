//! Serving an app as it should be served in production, shared by both
//! examples: each connection must finish its request headers in time (and
//! an idle keep-alive connection is closed by the same deadline), each
//! request must finish, body included, in time, a connection's buffers are
//! capped, the number of open connections is capped well above what an
//! attacker on one machine holds open, and Ctrl-C stops accepting and lets
//! requests in flight finish.

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// What one client may hold of the server.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections open at once; more wait in the listen backlog. Each
    /// costs a file descriptor and at most `max_buf_size` of buffer, so
    /// this bounds memory; it is set above what one client machine can
    /// hold open, since the deadlines below, not the cap, clear stalled
    /// connections out.
    pub max_connections: u32,
    /// How long a connection has to send a complete request head,
    /// including the first one and each next one on a keep-alive
    /// connection: a stalled or idle connection is closed.
    pub header_read_timeout: Duration,
    /// How long a request may take, its body included: a client that
    /// trickles a body gets `408` and the connection closes.
    pub request_timeout: Duration,
    /// A connection's read buffer, at most.
    pub max_buf_size: usize,
    /// How long Ctrl-C waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 16_384,
            header_read_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            max_buf_size: 16 * 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// `408 Request Timeout` and the connection closed, for a request (its body
/// included) that took longer than its deadline.
async fn deadline(
    limit: Duration,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let mut response = axum::response::Response::new(axum::body::Body::empty());
            *response.status_mut() = axum::http::StatusCode::REQUEST_TIMEOUT;
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            response
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let request_timeout = limits.request_timeout;
    let router = router.layer(axum::middleware::from_fn(move |request, next| {
        deadline(request_timeout, request, next)
    }));
    let slots = Arc::new(Semaphore::new(limits.max_connections as usize));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, a connection reset before it was
                // accepted: wait a moment rather than spin, and go on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = stream;
        // Small responses would otherwise wait on delayed ACKs.
        let _ = stream.set_nodelay(true);
        // Who is calling, for handlers that limit per address.
        let router = router
            .clone()
            .layer(axum::Extension(axum::extract::ConnectInfo(peer)));
        let service = TowerToHyperService::new(router);
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_buf_size(limits.max_buf_size);
        tokio::spawn(async move {
            // A client that goes away mid-request is no error of the server's.
            let _ = http.serve_connection(TokioIo::new(stream), service).await;
            drop(slot);
        });
    }
    // Every slot back means every connection has closed.
    let all = limits.max_connections;
    let _ = tokio::time::timeout(limits.shutdown_grace, slots.acquire_many(all)).await;
}
