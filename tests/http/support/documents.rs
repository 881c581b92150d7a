//! Client ID Metadata Documents served over https on 127.0.0.1 as
//! `client.test`, under a certificate made for the test, and the fetcher
//! that trusts it: what a client's own site would serve, with the hostile
//! variants a test needs beside it.

use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::routing::get;
use fanvue_scopes::mcp::auth::ClientDocuments;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The document site: `/client.json` (the client, `max-age=60`),
/// `/redirect.json` (a redirect to it), `/big.json` (10 MB) and
/// `/other.json` (a document naming another client).
pub struct Documents {
    pub port: u16,
    certificate: reqwest::Certificate,
    fetches: Arc<AtomicUsize>,
}

impl Documents {
    /// Serves the site; the client's document names `redirect_uri`.
    pub async fn serve(redirect_uri: &str) -> Documents {
        // Valid for 127.0.0.1 and localhost too: only the fetcher's address
        // check keeps it from them.
        let names = ["client.test", "localhost", "127.0.0.1"].map(str::to_owned);
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(names).expect("a certificate");
        let tls = tokio_rustls::rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(
                    signing_key.serialize_der().into(),
                ),
            )
            .expect("a TLS configuration");
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let port = tcp.local_addr().expect("an address").port();
        let id = format!("https://client.test:{port}/client.json");
        let fetches = Arc::new(AtomicUsize::new(0));
        let counted = fetches.clone();
        let document = |client_id: String| {
            serde_json::json!({
                "client_id": client_id,
                "client_name": "Document <Client>",
                "redirect_uris": [redirect_uri],
                "token_endpoint_auth_method": "none",
            })
            .to_string()
        };
        let (good, other) = (document(id.clone()), document(format!("{id}.other")));
        let app = axum::Router::new()
            .route(
                "/client.json",
                get(move || {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let good = good.clone();
                    async move {
                        (
                            [
                                (CONTENT_TYPE, "application/json"),
                                (CACHE_CONTROL, "max-age=60"),
                            ],
                            good,
                        )
                    }
                }),
            )
            .route(
                "/redirect.json",
                get(|| async { (StatusCode::FOUND, [(LOCATION, "/client.json")]) }),
            )
            .route(
                "/big.json",
                get(|| async { ([(CONTENT_TYPE, "application/json")], vec![b' '; 10 << 20]) }),
            )
            .route(
                "/other.json",
                get(move || {
                    let other = other.clone();
                    async move { ([(CONTENT_TYPE, "application/json")], other) }
                }),
            );
        let listener = TlsListener {
            tcp,
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(tls)),
        };
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let certificate = reqwest::Certificate::from_der(cert.der()).expect("the certificate");
        Documents {
            port,
            certificate,
            fetches,
        }
    }

    /// The client's id: its document's URL.
    pub fn id(&self) -> String {
        format!("https://client.test:{}/client.json", self.port)
    }

    /// How many times the client's document was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// A fetcher that trusts the site's certificate and finds
    /// `client.test` on 127.0.0.1, as an operator would configure it.
    pub fn fetcher(&self) -> ClientDocuments {
        ClientDocuments::new(
            reqwest::Client::builder()
                .tls_certs_only([self.certificate.clone()])
                .resolve("client.test", ([127, 0, 0, 1], self.port).into()),
        )
        .expect("the fetcher")
    }
}

/// A TCP listener that speaks TLS; a failed handshake is dropped.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, address)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(Ok(tls)) =
                tokio::time::timeout(Duration::from_secs(5), self.acceptor.accept(stream)).await
            {
                return (tls, address);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
