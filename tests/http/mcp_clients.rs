//! The Fanvue MCP server example (`fanvue-scopes/examples/mcp`) against MCP
//! clients no one here wrote, given nothing but its URL: rmcp's own client
//! with its `auth` feature, and the official TypeScript and Python SDKs'.
//! Each runs the
//! whole loop the MCP authorization specification describes: `401` →
//! discovery from the challenge's `resource_metadata` → the server's own
//! authorization server → dynamic registration → authorize, through the
//! server's consent page and the stand-in Fanvue's, with a partial consent
//! → `tools/list` → a call the token lacks a scope for → `403
//! insufficient_scope` → step-up (the client asks for what it has plus the
//! tool's scope) through both consents → the call succeeds. Each then
//! meets a restart and carries on with its tokens; the Python SDK signs in
//! by its Client ID Metadata Document too.

#[path = "support/documents.rs"]
mod documents;
#[path = "support/mcp_example.rs"]
mod mcp_example;
#[path = "../../fanvue-scopes/tests/support/mcp_sign_in.rs"]
mod mcp_sign_in;
mod support;
#[path = "../../fanvue-scopes/examples/mcp/tools.rs"]
#[allow(dead_code)] // The example's own entry points go unused here.
mod tools;

use documents::Documents;
use fanvue_scopes::mcp::auth::ClientDocuments;
use fanvue_scopes::scopes;
use fanvue_scopes::testing::StandIn;
use mcp_sign_in::Browser;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::auth::{
    AuthClient, AuthorizationManager, AuthorizationRequest, AuthorizationSession,
};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
const CALLBACK: &str = "http://127.0.0.1:9/callback";

/// The database the example `name` keeps its state in.
fn database(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "fanvue-mcp-clients-{name}-{}.sqlite3",
        std::process::id()
    ))
}

/// The example on `port` (0: a free one) over `name`'s database, accepting
/// metadata documents with `documents`: its base URL and its task.
async fn serve_example_on(
    name: &str,
    fanvue: &StandIn,
    port: u16,
    documents: Option<ClientDocuments>,
) -> (String, tokio::task::JoinHandle<()>) {
    let url = format!("sqlite://{}", database(name).display());
    mcp_example::serve(fanvue, &url, port, |auth| match documents {
        Some(documents) => auth.client_metadata_documents(documents),
        None => auth,
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmcp_steps_up_through_the_stand_in_and_the_call_succeeds() {
    let fanvue = StandIn::start().await.expect("the stand-in");
    let _ = std::fs::remove_file(database("rmcp"));
    let (base, task) = serve_example_on("rmcp", &fanvue, 0, None).await;
    let url = format!("{base}/mcp");
    let mut browser = Browser::default();

    // 1. No token: the server's 401 challenge.
    let refused = ().serve(StreamableHttpClientTransport::from_uri(url.as_str())).await;
    let Err(error) = refused else {
        panic!("a token is required");
    };
    let challenge = error.auth_challenge().expect("a challenge").to_owned();
    assert!(challenge.contains("resource_metadata="), "{challenge}");

    // 2. Discovery from the challenge, dynamic registration, and
    //    authorization with a partial consent: the user allows chats, not
    //    insights.
    let mut manager = AuthorizationManager::new_allowing_private_addresses(url.as_str())
        .await
        .expect("a manager");
    let metadata = manager
        .resolve_metadata_from_challenge(Some(&challenge))
        .await
        .expect("the protected resource metadata, then the server's own");
    manager.set_metadata(metadata.metadata);
    let request = AuthorizationRequest::new(CALLBACK)
        .with_client_name("rmcp's client")
        .with_challenge(challenge.clone())
        .with_initial_scope_selection();
    let session = AuthorizationSession::new(manager, request)
        .await
        .map_err(|(_, error)| error)
        .expect("an authorization session");
    let callback = browser
        .authorize(
            session.get_authorization_url(),
            &fanvue,
            scopes![read:chat, write:chat],
        )
        .await;
    session
        .handle_callback_url(&callback)
        .await
        .expect("the code exchanged, iss checked");
    let client = AuthClient::new(reqwest::Client::new(), session.auth_manager);
    let manager = client.auth_manager.clone();
    let after_restart = client.clone();
    let service = ()
        .serve(StreamableHttpClientTransport::with_client(
            client,
            StreamableHttpClientTransportConfig::with_uri(url.as_str()),
        ))
        .await
        .expect("initialized with the token");

    // 3. The tools, each showing its scopes.
    let tools = service.list_all_tools().await.expect("tools/list");
    let earnings = tools
        .iter()
        .find(|tool| tool.name == "read_earnings")
        .expect("the earnings tool");
    let meta = earnings.meta.as_ref().expect("described");
    assert_eq!(meta.0["io.fanvue/scopes"], "read:insights");

    // 4. A call the token covers works; one it doesn't is 403 with the
    //    tool's scope, before the tool runs.
    let chats = service
        .call_tool(CallToolRequestParams::new("list_chats"))
        .await
        .expect("list_chats");
    assert_ne!(chats.is_error, Some(true));
    let before = fanvue.requests();
    let refused = service
        .call_tool(CallToolRequestParams::new("read_earnings"))
        .await
        .expect_err("read:insights was not granted");
    let challenge = refused.auth_challenge().expect("a challenge").to_owned();
    assert!(
        challenge.contains("error=\"insufficient_scope\"")
            && challenge.contains("scope=\"read:insights\""),
        "{challenge}"
    );
    assert_eq!(fanvue.requests(), before, "the tool never ran");

    // 5. Step-up: the client asks for what it has plus read:insights, the
    //    user allows it on both pages, and the same call succeeds.
    let upgrade = manager
        .lock()
        .await
        .request_scope_upgrade("read:insights")
        .await
        .expect("a step-up authorize URL");
    assert!(
        upgrade.contains("read%3Ainsights") || upgrade.contains("read:insights"),
        "{upgrade}"
    );
    assert!(
        upgrade.contains("read%3Achat") || upgrade.contains("read:chat"),
        "keeps what it had: {upgrade}"
    );
    let callback = browser
        .authorize(&upgrade, &fanvue, tools::REGISTRATION.allowed())
        .await;
    let callback = rmcp::transport::auth::AuthorizationCallback::from_redirect_url(&callback)
        .expect("a callback");
    manager
        .lock()
        .await
        .exchange_code_for_token_with_issuer(
            &callback.code,
            &callback.csrf_token,
            callback.issuer.as_deref(),
        )
        .await
        .expect("the stepped-up token");
    let earnings = service
        .call_tool(CallToolRequestParams::new("read_earnings"))
        .await
        .expect("read_earnings after step-up");
    assert_ne!(earnings.is_error, Some(true));
    let text = format!("{:?}", earnings.content);
    assert!(
        text.contains("getEarnings"),
        "the tool called Fanvue: {text}"
    );

    // 6. The server restarts (FastMCP #2479): the client's tokens still
    //    work in a new MCP session, with no sign-in.
    let port: u16 = base
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .expect("a port");
    task.abort();
    let _ = task.await;
    drop(service);
    let (_, _task) = serve_example_on("rmcp", &fanvue, port, None).await;
    let service = ()
        .serve(StreamableHttpClientTransport::with_client(
            after_restart,
            StreamableHttpClientTransportConfig::with_uri(url.as_str()),
        ))
        .await
        .expect("initialized after the restart with the same token");
    let earnings = service
        .call_tool(CallToolRequestParams::new("read_earnings"))
        .await
        .expect("read_earnings after the restart");
    assert_ne!(earnings.is_error, Some(true));
}

/// The official MCP TypeScript SDK's client (`clients/ts/mcp_loop.mjs`,
/// which the test installs with `npm ci` from its lock file) runs the same
/// loop, its consents given on the stand-in's page; then the server
/// restarts, and the SDK carries on with the tokens it holds.
#[test]
fn the_typescript_sdk_steps_up_and_the_call_succeeds() {
    let clients = support::clients::typescript();
    let runtime = support::multi_thread_runtime();
    let stdout = client_across_a_restart(&runtime, "ts-sdk", &|| None, |url| {
        let mut node = std::process::Command::new("node");
        node.arg(clients.join("mcp_loop.mjs"))
            .args([url, "http://127.0.0.1:9/ts-callback"]);
        node
    });
    assert!(stdout.contains("ts-sdk: the whole loop passed"), "{stdout}");
}

/// The official MCP Python SDK's client (PyPI `mcp`, installed by the test
/// into a virtualenv from `clients/requirements.txt`) runs the same loop.
/// On a 403 it authorizes again with only the challenge's scope: the server
/// asks Fanvue for what the user already allowed the client too, so the
/// client keeps read:chat. Then the server restarts, and the SDK carries on
/// with the tokens it holds (FastMCP #2479).
#[test]
fn the_python_sdk_steps_up_and_the_call_succeeds() {
    let runtime = support::multi_thread_runtime();
    let stdout = client_across_a_restart(&runtime, "python-sdk", &|| None, |url| {
        python_loop(url, &[])
    });
    assert!(
        stdout.contains("the SDK registered itself")
            && stdout.contains("python-sdk: the whole loop passed"),
        "{stdout}"
    );
}

/// The Python SDK names itself by its Client ID Metadata Document (the
/// server's metadata says it may) instead of registering, and runs the
/// same loop: the server fetches the document over https, once while its
/// `max-age` lasts.
#[test]
fn the_python_sdk_signs_in_with_a_client_metadata_document() {
    let runtime = support::multi_thread_runtime();
    let site = runtime.block_on(Documents::serve(PYTHON_CALLBACK));
    let id = site.id();
    let stdout =
        client_across_a_restart(&runtime, "python-cimd", &|| Some(site.fetcher()), |url| {
            python_loop(url, &[&id])
        });
    assert!(
        stdout.contains("named itself by its metadata document")
            && stdout.contains("python-sdk: the whole loop passed"),
        "{stdout}"
    );
    assert_eq!(site.fetches(), 1, "{stdout}");
}

const PYTHON_CALLBACK: &str = "http://127.0.0.1:9/python-callback";

/// `clients/mcp_python_loop.py` against the MCP endpoint at `url`, with
/// `args` after the URL and callback.
fn python_loop(url: &str, args: &[&str]) -> std::process::Command {
    let mut python = std::process::Command::new(support::clients::python());
    python
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/clients/mcp_python_loop.py"
        ))
        .args([url, PYTHON_CALLBACK])
        .args(args);
    python
}

/// Runs the MCP client `client` makes for the endpoint URL against the
/// example `name` serves on `runtime`, `documents` its fetcher; restarts
/// the server on the same port and database when the client prints
/// `restart now`, and tells it so on its stdin. The client's output, once
/// it succeeded without signing in again after the restart.
fn client_across_a_restart(
    runtime: &tokio::runtime::Runtime,
    name: &str,
    documents: &dyn Fn() -> Option<ClientDocuments>,
    client: impl FnOnce(&str) -> std::process::Command,
) -> String {
    use std::io::{BufRead, Write};
    let fanvue = runtime.block_on(StandIn::start()).expect("the stand-in");
    let _ = std::fs::remove_file(database(name));
    let (base, task) = runtime.block_on(serve_example_on(name, &fanvue, 0, documents()));
    // The server runs on the runtime's worker threads while the client runs.
    let mut child = client(&format!("{base}/mcp"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the client runs");
    let mut stdout = String::new();
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("its stdout"));
    while !stdout.ends_with("restart now\n") {
        if lines.read_line(&mut stdout).unwrap_or(0) == 0 {
            let output = child.wait_with_output().expect("it ends");
            panic!("{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
        }
    }
    let port: u16 = base
        .rsplit(':')
        .next()
        .and_then(|port| port.parse().ok())
        .expect("a port");
    task.abort();
    let _ = runtime.block_on(task);
    let (_, _task) = runtime.block_on(serve_example_on(name, &fanvue, port, documents()));
    child
        .stdin
        .take()
        .expect("its stdin")
        .write_all(b"restarted\n")
        .expect("the script reads");
    std::io::Read::read_to_string(&mut lines, &mut stdout).expect("the rest of its output");
    let output = child.wait_with_output().expect("it ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("after the restart, no sign-in"), "{stdout}");
    stdout
}
