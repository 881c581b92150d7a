//! A bounded load test of the example server on loopback: 20,480 requests
//! over 64 keep-alive connections, a mix of sufficient, insufficient and
//! missing tokens; every response is checked. It prints throughput and
//! latency percentiles (`cargo test --test load -- --nocapture`).

// The route listing is the server binary's; this test only serves.
#[allow(dead_code)]
#[path = "../examples/server/app.rs"]
mod app;

use axum::serve::ListenerExt;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 64;
const REQUESTS_PER_CONNECTION: usize = 320;

/// (token, path, expected status, expected challenge)
const MIX: [(Option<&str>, &str, u16, &str); 4] = [
    (Some("demo-reader"), "/chats", 200, ""),
    (
        Some("demo-reader"),
        "/insights",
        403,
        "Bearer error=\"insufficient_scope\", scope=\"read:insights\"",
    ),
    (None, "/me", 401, "Bearer"),
    (
        Some("demo-nothing"),
        "/me",
        403,
        "Bearer error=\"insufficient_scope\", scope=\"read:self\"",
    ),
];

#[test]
fn twenty_thousand_requests_all_answered_correctly() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(async move {
        // Without TCP_NODELAY, small responses wait on delayed ACKs (~40 ms).
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(listener, app::router(Arc::default()))
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });

    let started = Instant::now();
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|connection| std::thread::spawn(move || client(address, connection)))
        .collect();
    let mut latencies: Vec<Duration> = clients
        .into_iter()
        .flat_map(|client| client.join().expect("a client failed"))
        .collect();
    let elapsed = started.elapsed();

    let _ = stop.send(());
    runtime
        .block_on(server)
        .expect("server task")
        .expect("server");

    latencies.sort_unstable();
    let total = latencies.len();
    assert_eq!(total, CONNECTIONS * REQUESTS_PER_CONNECTION);
    let percentile = |p: f64| latencies[((total as f64 * p) as usize).min(total - 1)];
    println!(
        "load: {total} requests over {CONNECTIONS} connections in {elapsed:.2?}: {:.0} requests/s; \
         latency p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        total as f64 / elapsed.as_secs_f64(),
        percentile(0.50),
        percentile(0.99),
        latencies[total - 1],
    );
}

/// One keep-alive connection sending its share of the mix; returns each
/// request's latency after checking its status and challenge.
fn client(address: SocketAddr, connection: usize) -> Vec<Duration> {
    let stream = TcpStream::connect(address).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    (0..REQUESTS_PER_CONNECTION)
        .map(|index| {
            let (token, path, status, challenge) = MIX[(connection + index) % MIX.len()];
            let authorization =
                token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
            let started = Instant::now();
            write!(
                writer,
                "GET {path} HTTP/1.1\r\nHost: load\r\n{authorization}\r\n"
            )
            .expect("write");
            let (got_status, got_challenge) = read_response(&mut reader);
            let latency = started.elapsed();
            assert_eq!(got_status, status, "{token:?} {path}");
            assert_eq!(
                got_challenge.as_deref().unwrap_or(""),
                challenge,
                "{token:?} {path}"
            );
            latency
        })
        .collect()
}

/// Reads one response off a keep-alive connection: status and challenge.
fn read_response(reader: &mut BufReader<TcpStream>) -> (u16, Option<String>) {
    let mut line = String::new();
    reader.read_line(&mut line).expect("status line");
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let (mut length, mut challenge) = (0, None);
    loop {
        line.clear();
        reader.read_line(&mut line).expect("header");
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().expect("length"),
                "www-authenticate" => challenge = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("body");
    (status, challenge)
}
