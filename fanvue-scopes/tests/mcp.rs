//! The MCP example's server (`examples/mcp`) over a real socket, its
//! requests written by hand as an MCP client and a hostile one would send
//! them: the `401` that starts a client off, a `tools/call` refused with
//! `403 insufficient_scope` naming only that tool's scopes before it runs,
//! batches, odd encodings, oversized, truncated and malformed bodies, the
//! tool list showing each tool's scopes, and a tool served without the
//! guard refusing every call.

#[path = "support/mcp_sign_in.rs"]
mod mcp_sign_in;
#[path = "../examples/mcp/tools.rs"]
mod tools;

use fanvue_scopes::testing::StandIn;
use fanvue_scopes::{ScopeSet, scopes};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// A raw HTTP/1.1 exchange on a fresh connection: `head` is the request's
/// first line and headers, without the blank line; `body` follows it.
fn exchange(address: SocketAddr, head: &str, body: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(head.as_bytes()).expect("write");
    stream.write_all(b"\r\n").expect("write");
    stream.write_all(body).expect("write");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// A JSON-RPC POST to `/mcp`.
fn post(address: SocketAddr, token: Option<&str>, session: Option<&str>, json: &str) -> Answer {
    let mut head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
         Content-Length: {}\r\n",
        json.len()
    );
    if let Some(token) = token {
        head += &format!("Authorization: Bearer {token}\r\n");
    }
    if let Some(session) = session {
        head += &format!("Mcp-Session-Id: {session}\r\nMCP-Protocol-Version: 2025-11-25\r\n");
    }
    exchange(address, &head, json.as_bytes())
}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"hand-written","version":"1"}}}"#;

/// An initialized session for `token`: its id.
fn session(address: SocketAddr, token: &str) -> String {
    let initialized = post(address, Some(token), None, INITIALIZE);
    assert_eq!(
        initialized.status, 200,
        "{}{}",
        initialized.head, initialized.body
    );
    let id = initialized
        .header("mcp-session-id")
        .expect("a session id")
        .to_owned();
    let notified = post(
        address,
        Some(token),
        Some(&id),
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
    );
    assert!(notified.status < 300, "{}", notified.head);
    id
}

fn call(tool: &str, id: u32) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{{}}}}}}"#
    )
}

struct Server {
    address: SocketAddr,
    fanvue: StandIn,
    runtime: tokio::runtime::Runtime,
}

impl Server {
    /// An access token of the server's own, for a user who allowed
    /// `scopes`, got as an MCP client gets one.
    fn token(&self, scopes: ScopeSet) -> String {
        let base = format!("http://{}", self.address);
        self.runtime
            .block_on(mcp_sign_in::token(&base, &self.fanvue, scopes))
    }
}

/// The example's app on a free port, with its stand-in Fanvue; `guarded`
/// false serves rmcp without the scope guard, as a mistake would.
fn start(guarded: bool) -> Server {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (address, fanvue) = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let address = listener.local_addr().expect("an address");
        let fanvue = StandIn::start().await.expect("the stand-in");
        let base = format!("http://{address}");
        let database = std::env::temp_dir().join(format!(
            "fanvue-mcp-{}-{}.sqlite3",
            std::process::id(),
            address.port()
        ));
        let upstream =
            tools::Upstream::stand_in(&fanvue, &base, &format!("sqlite://{}", database.display()))
                .await
                .expect("the upstream");
        let app = if guarded {
            tools::app(&base, &upstream, &[]).expect("the app")
        } else {
            tools::unguarded_app(&base, &upstream).expect("the app")
        };
        tokio::spawn(async move { axum::serve(listener, app).await });
        (address, fanvue)
    });
    Server {
        address,
        fanvue,
        runtime,
    }
}

#[test]
fn without_a_token_the_401_says_where_to_start() {
    let server = start(true);
    let answer = post(server.address, None, None, INITIALIZE);
    assert_eq!(answer.status, 401);
    let challenge = answer.header("www-authenticate").expect("a challenge");
    assert!(
        challenge.contains(&format!(
            "resource_metadata=\"http://{}/.well-known/oauth-protected-resource/mcp\"",
            server.address
        )),
        "{challenge}"
    );
    assert!(
        challenge.contains("scope=\"read:chat write:chat read:insights\""),
        "{challenge}"
    );
    // The metadata's scopes are the tools' least privilege.
    let metadata = exchange(
        server.address,
        "GET /.well-known/oauth-protected-resource/mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n",
        b"",
    );
    let document: serde_json::Value = serde_json::from_str(&metadata.body).expect("JSON");
    assert_eq!(
        document["scopes_supported"],
        serde_json::json!(["read:chat", "write:chat", "read:insights"])
    );
    // The authorization server is the MCP server's own: Fanvue is behind it.
    assert_eq!(
        document["authorization_servers"][0],
        format!("http://{}", server.address)
    );
}

#[test]
fn a_call_the_token_covers_runs_and_one_it_does_not_is_403_before_it_runs() {
    let server = start(true);
    let token = server.token(scopes![read:chat]);
    let session = session(server.address, &token);
    let allowed = post(
        server.address,
        Some(&token),
        Some(&session),
        &call("list_chats", 1),
    );
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert!(
        allowed.body.contains("listChats"),
        "the tool called Fanvue: {}",
        allowed.body
    );
    let before = server.fanvue.requests();
    let refused = post(
        server.address,
        Some(&token),
        Some(&session),
        &call("read_earnings", 2),
    );
    assert_eq!(refused.status, 403);
    let challenge = refused.header("www-authenticate").expect("a challenge");
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_scope\", scope=\"read:insights\""),
        "only the tool's scopes: {challenge}"
    );
    assert!(challenge.contains("resource_metadata="), "{challenge}");
    assert_eq!(server.fanvue.requests(), before, "the tool never ran");
}

/// The client asked for chats and insights; the user unticked insights on
/// Fanvue's page. The token holds what Fanvue granted, and the insights
/// tool stays refused, its challenge and body naming the scope it lacks.
#[test]
fn a_scope_unticked_at_fanvue_keeps_its_tool_refused_naming_the_scope() {
    let server = start(true);
    let base = format!("http://{}", server.address);
    let answer = server.runtime.block_on(async {
        let client = mcp_sign_in::register(&base).await;
        mcp_sign_in::sign_in_asking(
            &base,
            &server.fanvue,
            &client,
            "read:chat read:insights",
            scopes![read:chat],
        )
        .await
    });
    assert_eq!(answer["scope"], "read:chat", "{answer}");
    let token = answer["access_token"].as_str().expect("a token");
    let session = session(server.address, token);
    let refused = post(
        server.address,
        Some(token),
        Some(&session),
        &call("read_earnings", 1),
    );
    assert_eq!(refused.status, 403);
    let challenge = refused.header("www-authenticate").expect("a challenge");
    assert!(
        challenge.contains("error=\"insufficient_scope\", scope=\"read:insights\""),
        "{challenge}"
    );
    let body: serde_json::Value = serde_json::from_str(&refused.body).expect("JSON");
    assert_eq!(body["missing_scopes"], serde_json::json!(["read:insights"]));
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|why| why.contains("lacks scopes")),
        "{body}"
    );
}

/// A fan id is a path parameter of the endpoint the tool calls: spelled
/// to reach another endpoint, it is refused or stays one segment, so
/// Fanvue reads the call the way the scope check did.
#[test]
fn send_message_keeps_a_hostile_fan_id_inside_its_endpoint() {
    let server = start(true);
    let token = server.token(scopes![write:chat]);
    let session = session(server.address, &token);
    let send = |fan: &str, id: u32| {
        let arguments = serde_json::json!({ "fan": fan, "text": "hi" });
        let json = serde_json::json!({
            "jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": { "name": "send_message", "arguments": arguments },
        });
        post(
            server.address,
            Some(&token),
            Some(&session),
            &json.to_string(),
        )
    };
    let sent = send("0b7c1a9e-fan", 1);
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("sendMessage"), "{}", sent.body);
    for (id, fan) in (2..).zip(["..", "", ".", "%2e%2e"]) {
        let before = server.fanvue.requests();
        let refused = send(fan, id);
        assert!(
            refused.body.contains("not an id Fanvue takes"),
            "{fan:?}: {}",
            refused.body
        );
        assert_eq!(server.fanvue.requests(), before, "{fan:?}: nothing sent");
    }
    // Slashes, queries and fragments are one encoded segment: still
    // `sendMessage`, never `getCurrentUser` or another endpoint.
    for (id, fan) in (10..).zip([
        "../../users/me",
        "x/../../insights/earnings",
        "x?y#z",
        "a\\b",
    ]) {
        let sent = send(fan, id);
        assert_eq!(sent.status, 200, "{fan:?}: {}", sent.body);
        assert!(sent.body.contains("sendMessage"), "{fan:?}: {}", sent.body);
    }
}

#[test]
fn hostile_bodies_get_clean_answers_and_run_no_tool() {
    let server = start(true);
    let token = server.token(scopes![read:chat]);
    let session = session(server.address, &token);
    let before = server.fanvue.requests();
    // A batch mixing an allowed and a refused call: refused whole.
    let batch = format!("[{},{}]", call("list_chats", 3), call("send_message", 4));
    let refused = post(server.address, Some(&token), Some(&session), &batch);
    assert_eq!(refused.status, 403);
    assert!(
        refused
            .header("www-authenticate")
            .is_some_and(|c| c.contains("scope=\"write:chat\""))
    );
    // The tool's name in another JSON spelling is the same tool.
    let escaped = r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"read\u005fearnings","arguments":{}}}"#;
    assert_eq!(
        post(server.address, Some(&token), Some(&session), escaped).status,
        403
    );
    // A notification (no id) calling a tool is checked the same way.
    let notification =
        r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"read_earnings"}}"#;
    assert_eq!(
        post(server.address, Some(&token), Some(&session), notification).status,
        403
    );
    // Oversized: refused by its Content-Length, unread.
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n",
        2 * fanvue_scopes::mcp::MAX_BODY_BYTES
    );
    assert_eq!(exchange(server.address, &head, b"{").status, 413);
    // Truncated: promised 200 bytes, sent 20, then closed.
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n"
    );
    let truncated = {
        let mut stream = TcpStream::connect(server.address).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        stream.write_all(head.as_bytes()).expect("write");
        stream
            .write_all(b"\r\n{\"jsonrpc\":\"2.0\",\"id")
            .expect("write");
        stream
            .shutdown(std::net::Shutdown::Write)
            .expect("half-close");
        let mut raw = String::new();
        let _ = stream.read_to_string(&mut raw);
        raw
    };
    assert!(
        truncated.is_empty() || truncated.starts_with("HTTP/1.1 400"),
        "{truncated}"
    );
    // Malformed JSON is rmcp's to answer: never a tool run, never a panic.
    for malformed in [
        "{",
        "[]",
        "null",
        "{\"method\":\"tools/call\",\"params\":7}",
        "\u{0}\u{ff}",
    ] {
        let answer = post(server.address, Some(&token), Some(&session), malformed);
        assert!(
            answer.status >= 200 && answer.status != 403,
            "{malformed:?}: {}",
            answer.status
        );
    }
    // An unknown tool: rmcp's answer, not a scope refusal.
    let unknown = post(
        server.address,
        Some(&token),
        Some(&session),
        &call("delete_everything", 6),
    );
    assert_ne!(unknown.status, 403);
    assert_eq!(server.fanvue.requests(), before, "no tool ran");
}

#[test]
fn tools_list_shows_each_tools_scopes_and_endpoints() {
    let server = start(true);
    let token = server.token(scopes![read:chat]);
    let session = session(server.address, &token);
    let listed = post(
        server.address,
        Some(&token),
        Some(&session),
        r#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#,
    );
    assert_eq!(listed.status, 200);
    assert!(
        listed
            .body
            .contains(r#""io.fanvue/scopes":"read:insights""#),
        "{}",
        listed.body
    );
    assert!(
        listed
            .body
            .contains(r#""io.fanvue/endpoints":["POST /chats/{userUuid}/message"]"#),
        "{}",
        listed.body
    );
}

#[test]
fn a_tool_served_without_the_guard_refuses_every_call() {
    let server = start(false);
    let token = server.token(ScopeSet::ALL);
    let session = session(server.address, &token);
    let before = server.fanvue.requests();
    let answer = post(
        server.address,
        Some(&token),
        Some(&session),
        &call("list_chats", 8),
    );
    assert!(answer.body.contains("mcp::guard"), "{}", answer.body);
    assert_eq!(server.fanvue.requests(), before, "the tool never ran");
}

#[test]
fn a_tool_beyond_the_registration_fails_the_start_by_name() {
    use fanvue_scopes::mcp::ToolGuard;
    use fanvue_scopes::step_up::Registration;
    let guard = ToolGuard::new(&tools::FanvueTools::tool_router()).expect("a guard");
    let error = guard
        .check_registration(&Registration::new(scopes![read:self, read:chat]))
        .expect_err("write:chat and read:insights are not registered");
    let message = error.to_string();
    assert!(
        message.contains("tool `read_earnings` needs `read:insights`"),
        "{message}"
    );
    assert!(
        message.contains("tool `send_message` needs `write:chat`"),
        "{message}"
    );
    assert!(!message.contains("list_chats"), "{message}");
    assert!(guard.check_registration(&tools::REGISTRATION).is_ok());
}

/// Tools renamed by `#[tool(name = ..)]`, with `#[requires]` above it,
/// where it reads the name.
mod renamed_in_sight {
    use fanvue_scopes::{Granted, requires};
    use rmcp::model::CallToolResult;
    use rmcp::{ErrorData, tool, tool_router};

    #[derive(Clone)]
    pub struct Chats;

    #[tool_router(vis = "pub")]
    impl Chats {
        /// Lists the creator's chats.
        #[requires(calls(GET "/chats"))]
        #[tool(name = "list-chats")]
        async fn list_chats(&self, granted: Granted) -> Result<CallToolResult, ErrorData> {
            Ok(CallToolResult::success(vec![]))
        }

        /// Sends a message.
        #[requires(write:chat)]
        #[rmcp::tool]
        async fn send(&self, granted: Granted) -> Result<CallToolResult, ErrorData> {
            Ok(CallToolResult::success(vec![]))
        }
    }
}

/// The same tool with `#[requires]` below `#[tool]`, where the name is out
/// of its sight.
mod renamed_out_of_sight {
    use fanvue_scopes::{Granted, requires};
    use rmcp::model::CallToolResult;
    use rmcp::{ErrorData, tool, tool_router};

    #[derive(Clone)]
    pub struct Chats;

    #[tool_router(vis = "pub")]
    impl Chats {
        /// Lists the creator's chats.
        #[tool(name = "list-chats")]
        #[requires(calls(GET "/chats"))]
        async fn list_chats(&self, granted: Granted) -> Result<CallToolResult, ErrorData> {
            Ok(CallToolResult::success(vec![]))
        }
    }
}

/// `#[requires]` below a `#[tool]` that keeps the fn's name.
mod below_by_fn_name {
    use fanvue_scopes::{Granted, requires};
    use rmcp::model::CallToolResult;
    use rmcp::{ErrorData, tool, tool_router};

    #[derive(Clone)]
    pub struct Chats;

    #[tool_router(vis = "pub")]
    impl Chats {
        /// Lists the creator's chats.
        #[tool]
        #[requires(read:chat)]
        async fn list_chats(&self, granted: Granted) -> Result<CallToolResult, ErrorData> {
            Ok(CallToolResult::success(vec![]))
        }
    }
}

#[test]
fn a_renamed_tool_is_found_by_the_name_its_tool_attribute_gives() {
    use fanvue_scopes::mcp::ToolGuard;
    let mut router = renamed_in_sight::Chats::tool_router();
    let guard = ToolGuard::new(&router).expect("a guard");
    let all = |tool: &str| guard.requirement(tool).map(|requirement| requirement.all());
    assert_eq!(all("list-chats"), Some(scopes![read:chat]));
    assert_eq!(all("send"), Some(scopes![write:chat]));
    assert_eq!(all("list_chats"), None, "no tool of that name");
    assert_eq!(guard.least_privilege(), scopes![read:chat, write:chat]);
    guard.describe(&mut router);
    let tool = router.get("list-chats").expect("listed");
    // The doc comment is the agent's description, with nothing added.
    assert_eq!(
        tool.description.as_deref(),
        Some("Lists the creator's chats.")
    );
    let meta = tool.meta.clone().expect("described");
    assert_eq!(meta.0["io.fanvue/scopes"], "read:chat");
}

#[test]
fn requires_below_a_renaming_tool_is_an_error_that_says_where_to_write_it() {
    use fanvue_scopes::mcp::{ToolGuard, UnknownRequirement};
    let error = ToolGuard::new(&renamed_out_of_sight::Chats::tool_router())
        .expect_err("the tool's requirement is out of sight");
    assert!(
        matches!(
            &error,
            UnknownRequirement::NameOutOfSight {
                function: "list_chats",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "`mcp::renamed_out_of_sight::list_chats` has `#[requires]` but is no tool of this \
         router by its name, and no `#[requires]` fn in `mcp::renamed_out_of_sight` serves the \
         tool `list-chats`: write `#[requires]` above `#[tool]`, where it reads the name \
         `#[tool(name = ..)]` gives"
    );
}

#[test]
fn requires_below_a_tool_named_after_its_fn_is_found_by_that_name() {
    use fanvue_scopes::mcp::ToolGuard;
    let guard = ToolGuard::new(&below_by_fn_name::Chats::tool_router()).expect("a guard");
    assert_eq!(
        guard
            .requirement("list_chats")
            .map(|requirement| requirement.all()),
        Some(scopes![read:chat])
    );
}

/// A tool without `#[requires]`, and a route handler of the same name in
/// another module.
mod free_tool {
    use rmcp::model::CallToolResult;
    use rmcp::{ErrorData, tool, tool_router};

    #[derive(Clone)]
    pub struct Profile;

    #[tool_router(vis = "pub")]
    impl Profile {
        /// Says which server this is.
        #[tool]
        async fn about(&self) -> Result<CallToolResult, ErrorData> {
            Ok(CallToolResult::success(vec![]))
        }
    }
}

mod routes {
    use fanvue_scopes::{Granted, InsufficientScope, requires};

    #[requires(read:self)]
    pub async fn about(granted: Granted) -> Result<&'static str, InsufficientScope> {
        Ok("a page")
    }
}

#[test]
fn a_route_handler_elsewhere_is_not_taken_for_a_tool_of_its_name() {
    use fanvue_scopes::mcp::ToolGuard;
    let _ = routes::about;
    let guard = ToolGuard::new(&free_tool::Profile::tool_router()).expect("a guard");
    assert_eq!(guard.requirement("about"), None, "the tool needs no scope");
    assert_eq!(guard.least_privilege(), ScopeSet::EMPTY);
}

/// The MCP transport specification: a server MUST validate `Origin` and
/// answer a foreign one with `403`, against DNS rebinding; before its token
/// is read, so even a good token from a foreign page gets nowhere.
#[test]
fn a_foreign_origin_is_403_before_anything_else() {
    let server = start(true);
    let token = server.token(scopes![read:chat]);
    let from = |origin: &str, token: Option<&str>| {
        let mut head = format!(
            "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nOrigin: {origin}\r\n\
             Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
             Content-Length: {}\r\n",
            INITIALIZE.len()
        );
        if let Some(token) = token {
            head += &format!("Authorization: Bearer {token}\r\n");
        }
        exchange(server.address, &head, INITIALIZE.as_bytes())
    };
    let own = format!("http://{}", server.address);
    for foreign in [
        "http://evil.example",
        "null",
        "http://127.0.0.1:1",
        "https://127.0.0.1",
    ] {
        for token in [Some(token.as_str()), None, Some("not-a-token")] {
            let answer = from(foreign, token);
            assert_eq!(answer.status, 403, "{foreign} {token:?}: {}", answer.head);
            assert!(answer.header("www-authenticate").is_none(), "{foreign}");
        }
    }
    // The server's own origin, and no Origin at all (a client that is not
    // a web page), are served.
    assert_eq!(from(&own, Some(&token)).status, 200);
    assert_eq!(
        post(server.address, Some(&token), None, INITIALIZE).status,
        200
    );
    // The metadata is public: a browser-based client reads it from any page.
    let metadata = exchange(
        server.address,
        "GET /.well-known/oauth-protected-resource/mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nOrigin: http://evil.example\r\n",
        b"",
    );
    assert_eq!(metadata.status, 200);
}

#[test]
fn allowed_origins_are_compared_as_rfc_6454_says() {
    use fanvue_scopes::mcp::AllowedOrigins;
    let allowed =
        AllowedOrigins::new(["http://localhost:6274", "https://app.example"]).expect("origins");
    assert!(allowed.allows(Some("http://localhost:6274")));
    assert!(allowed.allows(Some("https://app.example:443")));
    assert!(allowed.allows(Some("HTTPS://APP.EXAMPLE")));
    for refused in [
        "http://localhost:6275",
        "http://localhost",
        "http://app.example",
        "https://app.example.evil",
        "null",
        "",
        "app.example",
    ] {
        assert!(!allowed.allows(Some(refused)), "{refused}");
    }
    assert!(AllowedOrigins::none().allows(None));
    assert!(!AllowedOrigins::none().allows(Some("http://localhost:6274")));
    let invalid = AllowedOrigins::new(["app.example"]).expect_err("not an origin");
    assert!(
        invalid
            .to_string()
            .contains("`app.example` is not an origin"),
        "{invalid}"
    );
}

#[test]
fn a_chunked_body_past_the_limit_is_413() {
    let server = start(true);
    let token = server.token(scopes![read:chat]);
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
         Transfer-Encoding: chunked\r\n"
    );
    let chunk = vec![b' '; 64 * 1024];
    let mut body = Vec::new();
    for _ in 0..(fanvue_scopes::mcp::MAX_BODY_BYTES / chunk.len() + 1) {
        body.extend(format!("{:x}\r\n", chunk.len()).as_bytes());
        body.extend(&chunk);
        body.extend(b"\r\n");
    }
    body.extend(b"0\r\n\r\n");
    let answer = exchange(server.address, &head, &body);
    assert_eq!(answer.status, 413, "{}", answer.head);
    // Under the limit, chunked is served as any body.
    let json = INITIALIZE.as_bytes();
    let mut small = format!("{:x}\r\n", json.len()).into_bytes();
    small.extend(json);
    small.extend(b"\r\n0\r\n\r\n");
    assert_eq!(exchange(server.address, &head, &small).status, 200);
}

#[test]
fn unknown_paths_are_404_and_discovery_answers_at_both_forms() {
    let server = start(true);
    let get = |path: &str| {
        exchange(
            server.address,
            &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"),
            b"",
        )
    };
    for path in [
        "/",
        "/nothing",
        "/mcpx",
        "/.well-known/oauth-protected-resource/other",
    ] {
        let answer = get(path);
        assert_eq!(answer.status, 404, "{path}: {}", answer.head);
        assert!(answer.header("www-authenticate").is_none(), "{path}");
    }
    // RFC 9728 §3.1's path form, and the root form MCP clients try next.
    let path_form = get("/.well-known/oauth-protected-resource/mcp");
    let root_form = get("/.well-known/oauth-protected-resource");
    assert_eq!((path_form.status, root_form.status), (200, 200));
    assert_eq!(path_form.body, root_form.body);
    let document: serde_json::Value = serde_json::from_str(&root_form.body).expect("JSON");
    assert_eq!(
        document["resource"],
        format!("http://{}/mcp", server.address)
    );
    // The endpoint itself still challenges.
    assert_eq!(get("/mcp").status, 401);
}
