//! A bounded loopback load test of the examples' serving setup
//! (`examples/server/serve.rs`): the example server, run as its own
//! process, holds 5,000 half-open, 2,000 idle keep-alive and 2,000 active
//! unauthenticated keep-alive connections from this one, while a normal
//! client is timed; the server's RSS is read from `/proc`. Everything is on
//! 127.0.0.1, fixed in count, and over in about fifteen seconds.
//!
//! `cargo build --release -p fanvue-scopes --features axum --example server --example serve_load`
//! then `target/release/examples/serve_load` (BENCHMARKS.md has the figures).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HALF_OPEN: usize = 5_000;
const IDLE: usize = 2_000;
const ACTIVE: usize = 2_000;

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// One request on a fresh connection: its status and how long it took.
async fn normal_request(address: SocketAddr) -> (Option<u16>, Duration) {
    let started = Instant::now();
    let status = async {
        let mut stream = TcpStream::connect(address).await.ok()?;
        stream
            .write_all(b"GET /chats HTTP/1.1\r\nHost: load\r\nAuthorization: Bearer demo-reader\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.ok()?;
        String::from_utf8_lossy(&answer)
            .split(' ')
            .nth(1)?
            .parse()
            .ok()
    };
    let status = tokio::time::timeout(Duration::from_secs(5), status)
        .await
        .ok()
        .flatten();
    (status, started.elapsed())
}

async fn normal_client(address: SocketAddr, label: &str) {
    let mut times = Vec::new();
    let mut ok = 0;
    for _ in 0..20 {
        let (status, took) = normal_request(address).await;
        ok += usize::from(status == Some(200));
        times.push(took);
    }
    times.sort();
    println!(
        "{label}: {ok}/20 answered 200; median {:.1} ms, slowest {:.1} ms",
        times[10].as_secs_f64() * 1e3,
        times[19].as_secs_f64() * 1e3
    );
}

/// Sends one request and reads its whole answer, keeping the connection.
async fn exchange(stream: &mut TcpStream, request: &[u8]) -> bool {
    if stream.write_all(request).await.is_err() {
        return false;
    }
    let mut buffer = [0u8; 2048];
    matches!(stream.read(&mut buffer).await, Ok(read) if read > 0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    let server = exe.with_file_name("server");
    let mut child = Command::new(&server)
        .env("PORT", "0")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|error| format!("{}: {error}", server.display()))?;
    let pid = child.id();
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    let address: SocketAddr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .ok_or("no address in the server's banner")?
        .parse()?;
    println!("server {pid} on {address}");
    println!("RSS at start: {} KiB", rss_kib(pid));
    normal_client(address, "normal client, alone").await;

    let started = Instant::now();
    let mut held = Vec::new();
    for _ in 0..HALF_OPEN {
        if let Ok(stream) = TcpStream::connect(address).await {
            held.push(stream);
        }
    }
    let half_open = held.len();
    let mut idle = Vec::new();
    for _ in 0..IDLE {
        if let Ok(mut stream) = TcpStream::connect(address).await {
            if exchange(
                &mut stream,
                b"GET /me HTTP/1.1\r\nHost: load\r\nAuthorization: Bearer demo-reader\r\n\r\n",
            )
            .await
            {
                idle.push(stream);
            }
        }
    }
    let mut active = Vec::new();
    for _ in 0..ACTIVE {
        if let Ok(mut stream) = TcpStream::connect(address).await {
            if exchange(&mut stream, b"GET /chats HTTP/1.1\r\nHost: load\r\n\r\n").await {
                active.push(stream);
            }
        }
    }
    println!(
        "opened in {:.1} s: {half_open} half-open, {} idle keep-alive, {} active keep-alive (each answered 401)",
        started.elapsed().as_secs_f64(),
        idle.len(),
        active.len()
    );
    // The active ones keep asking, without a token, while the normal
    // client is timed.
    let hammer = tokio::spawn(async move {
        for _ in 0..3 {
            for stream in &mut active {
                let _ = exchange(stream, b"GET /chats HTTP/1.1\r\nHost: load\r\n\r\n").await;
            }
        }
        active
    });
    normal_client(address, "normal client, with the 9,000 open").await;
    println!("RSS with them open: {} KiB", rss_kib(pid));
    let active = hammer.await?;
    // Past the header deadline, the server has closed the idle and
    // half-open connections.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut closed = 0;
    for stream in held.iter_mut().chain(idle.iter_mut()) {
        let mut byte = [0u8; 1];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(20), stream.read(&mut byte)).await
        {
            closed += 1;
        }
    }
    println!(
        "after 6 s: {closed} of {} idle and half-open connections closed by the server",
        held.len() + idle.len()
    );
    println!("RSS after: {} KiB", rss_kib(pid));
    drop((held, idle, active));
    normal_client(address, "normal client, after").await;
    let _ = child.kill();
    let _ = child.wait();
    Ok(())
}
