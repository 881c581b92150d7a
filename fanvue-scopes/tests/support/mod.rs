//! A minimal HTTP/1.1 client over a real socket, and checks of the RFC 6750
//! challenges, shared by the server tests.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// The value of the one header called `name`; panics if there are more.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut values = self
            .headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str());
        let first = values.next();
        assert_eq!(values.next(), None, "more than one {name} header");
        first
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| panic!("{error}: {}", self.body))
    }
}

/// Sends one request on a fresh connection and reads the whole response.
pub fn request(address: SocketAddr, method: &str, path: &str, token: Option<&str>) -> Response {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let authorization = token.map_or(String::new(), |token| {
        format!("Authorization: Bearer {token}\r\n")
    });
    let body = if method == "POST" { "hello" } else { "" };
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{authorization}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("read");
    parse(&raw)
}

fn parse(raw: &str) -> Response {
    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete response");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("a status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect::<Vec<_>>();
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

/// Reads a `WWW-Authenticate` value back with a standard RFC 7235 parser:
/// the scheme, and its parameters unescaped.
pub fn parse_challenge(value: &str) -> (String, Vec<(String, String)>) {
    let mut challenges = http_auth::parser::ChallengeParser::new(value);
    let challenge = challenges
        .next()
        .expect("one challenge")
        .unwrap_or_else(|error| panic!("unparseable challenge {value:?}: {error}"));
    assert!(
        challenges.next().is_none(),
        "exactly one challenge in {value:?}"
    );
    let params = challenge
        .params
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_unescaped()))
        .collect();
    (challenge.scheme.to_string(), params)
}

/// The 401 of a request without credentials (RFC 6750 §3.1).
pub fn assert_unauthenticated(response: &Response) {
    assert_eq!(response.status, 401, "{}", response.body);
    assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        response.json()["error_description"],
        "This request needs a valid bearer access token."
    );
}

/// The 403 of a request whose token lacks `missing` (RFC 6750 §3.1).
pub fn assert_insufficient(response: &Response, scope: &str, missing: &[&str]) {
    assert_eq!(response.status, 403, "{}", response.body);
    let challenge = response.header("www-authenticate").expect("a challenge");
    assert_eq!(
        challenge,
        format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\"")
    );
    let (scheme, params) = parse_challenge(challenge);
    assert_eq!(scheme, "Bearer");
    assert_eq!(
        params,
        [
            ("error".to_owned(), "insufficient_scope".to_owned()),
            ("scope".to_owned(), scope.to_owned())
        ]
    );
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = response.json();
    assert_eq!(body["error"], "insufficient_scope");
    assert_eq!(body["scope"], scope);
    assert_eq!(body["missing_scopes"], serde_json::json!(missing));
}

/// Writes `head` on a fresh connection, then (on another thread, errors
/// ignored) `body_bytes` bytes of body, and returns what the server answered
/// within `within`: the raw response text, cut at the first error or EOF.
pub fn exchange(address: SocketAddr, head: &str, body_bytes: usize, within: Duration) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(within)).expect("timeout");
    stream.write_all(head.as_bytes()).expect("write the head");
    let writer = (body_bytes > 0).then(|| {
        let mut body_stream = stream.try_clone().expect("clone the stream");
        std::thread::spawn(move || {
            let chunk = vec![b'x'; 64 * 1024];
            let mut left = body_bytes;
            while left > 0 {
                let n = left.min(chunk.len());
                if body_stream.write_all(&chunk[..n]).is_err() {
                    return;
                }
                left -= n;
            }
        })
    });
    let mut raw = Vec::new();
    let mut buffer = [0; 4096];
    let started = std::time::Instant::now();
    while started.elapsed() < within {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buffer[..n]),
        }
        // One complete response is enough: the test is about the first.
        if let Some(end) = find(&raw, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse::<usize>().ok());
            if !head.starts_with("http/1.1 100") && length.is_some_and(|n| raw.len() >= end + 4 + n)
            {
                break;
            }
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    String::from_utf8_lossy(&raw).into_owned()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// The status code of the first response in `raw`.
pub fn first_status(raw: &str) -> Option<u16> {
    raw.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// A `#[requires]` handler served without its own guard, at `/forgotten`
/// (no guard) and `/mismatched` (behind a guard for another handler's
/// `read:chat`), fails closed: 500 naming the route, at once, with a
/// promised body never read, for `full` and `reader` callers alike.
#[allow(dead_code)]
pub fn assert_unguarded_handlers_fail(address: SocketAddr) {
    let started = std::time::Instant::now();
    let raw = exchange(
        address,
        "POST /forgotten HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer full\r\nContent-Length: 10\r\n\r\n",
        0,
        Duration::from_secs(2),
    );
    assert_eq!(first_status(&raw), Some(500), "{raw}");
    assert!(
        raw.contains("`POST /forgotten` was served by a handler that takes `Granted` without"),
        "{raw}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    for token in ["full", "reader"] {
        let mismatched = request(address, "POST", "/mismatched", Some(token));
        assert_eq!(mismatched.status, 500, "{token}: {}", mismatched.body);
        assert_eq!(mismatched.json()["error"], "server_error");
    }
}
