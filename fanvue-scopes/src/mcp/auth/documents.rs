//! Client ID Metadata Documents: a client whose `client_id` is an https URL
//! that serves its metadata, which the MCP 2025-11-25 specification prefers
//! to registration.
//!
//! Fetching a URL a stranger names is a server-side request forgery waiting
//! to happen, so the fetch is narrow: https only; a name resolved by the
//! system must resolve to public addresses only (no loopback, private,
//! link-local or metadata-service address), and an IP literal must be one;
//! no redirects and no proxy; a few KiB in a few seconds; a bounded number
//! at once and per host and minute. A document is cached as long as its
//! `Cache-Control: max-age` says, up to a day.

use super::clients::{Client, Origin, RateLimit, allowed_redirect};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The largest document read.
const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
/// How long a fetch may take, connection and body together.
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest a document is cached, whatever its headers say.
const MAX_CACHED: Duration = Duration::from_secs(24 * 3600);
/// The most documents cached at once.
const MAX_CACHED_DOCUMENTS: usize = 1024;
/// The most fetches from one host a minute, and at once from all: a
/// stranger's `client_id` must not make this server hammer a site.
const FETCHES_PER_HOST_AND_MINUTE: u32 = 30;
const FETCHES_AT_ONCE: usize = 8;

/// How the server fetches Client ID Metadata Documents: give it to
/// [`AuthorizationServerBuilder::client_metadata_documents`](super::AuthorizationServerBuilder::client_metadata_documents).
///
/// The TLS roots, and any name pinned to an address with
/// [`reqwest::ClientBuilder::resolve`], are the builder's: configuration the
/// operator wrote. Every other name is resolved by the system and must
/// resolve to public addresses only.
pub struct ClientDocuments {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, (Client, Instant)>>,
    per_host: RateLimit<String>,
    at_once: tokio::sync::Semaphore,
}

impl fmt::Debug for ClientDocuments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientDocuments").finish_non_exhaustive()
    }
}

impl ClientDocuments {
    /// Fetches with `http` (enable a TLS feature of reqwest's, such as
    /// `rustls`), which this sets to follow no redirect, use no proxy,
    /// resolve names to public addresses only, and give up after a few
    /// seconds.
    ///
    /// # Errors
    ///
    /// When reqwest can't build the client (no TLS backend, say).
    pub fn new(http: reqwest::ClientBuilder) -> Result<Self, reqwest::Error> {
        let http = http
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(PublicOnly)
            .timeout(FETCH_TIMEOUT)
            .build()?;
        Ok(ClientDocuments {
            http,
            cache: Mutex::default(),
            per_host: RateLimit::new(FETCHES_PER_HOST_AND_MINUTE),
            at_once: tokio::sync::Semaphore::new(FETCHES_AT_ONCE),
        })
    }

    /// The client whose `client_id` is the URL `id`, from its document.
    pub(super) async fn client(&self, id: &str) -> Result<Client, DocumentError> {
        let url = document_url(id)?;
        if let Some(client) = self.cached(id) {
            return Ok(client);
        }
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if literal.is_some_and(|ip| !is_public(ip)) {
            return Err(DocumentError("its host is not a public address"));
        }
        let busy = DocumentError("too many documents are being fetched; try again in a minute");
        let host = url.host_str().unwrap_or_default().to_owned();
        let _fetching = self.at_once.try_acquire().map_err(|_| busy)?;
        if !self.per_host.admit(host) {
            return Err(busy);
        }
        let mut response = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| {
                DocumentError(if error.is_timeout() {
                    "it took too long"
                } else {
                    "it could not be reached over https at a public address"
                })
            })?;
        if response.status().is_redirection() {
            return Err(DocumentError("it redirects, which is not followed"));
        }
        if !response.status().is_success() {
            return Err(DocumentError("its server did not answer 200"));
        }
        let json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(|media| media.trim().to_ascii_lowercase())
            .is_some_and(|media| media == "application/json" || media.ends_with("+json"));
        if !json {
            return Err(DocumentError("it is not served as application/json"));
        }
        if response
            .content_length()
            .is_some_and(|length| length > MAX_DOCUMENT_BYTES as u64)
        {
            return Err(DocumentError("it is larger than 5 KiB"));
        }
        let lifetime = cache_lifetime(response.headers());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|error| {
            DocumentError(if error.is_timeout() {
                "it took too long"
            } else {
                "it was cut off"
            })
        })? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(DocumentError("it is larger than 5 KiB"));
            }
            body.extend_from_slice(&chunk);
        }
        let client = parse(id, &body)?;
        if let Some(lifetime) = lifetime {
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            if cache.len() >= MAX_CACHED_DOCUMENTS {
                cache.retain(|_, (_, until)| *until > Instant::now());
            }
            if cache.len() < MAX_CACHED_DOCUMENTS {
                cache.insert(id.to_owned(), (client.clone(), Instant::now() + lifetime));
            }
        }
        Ok(client)
    }

    fn cached(&self, id: &str) -> Option<Client> {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .get(id)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(client, _)| client.clone())
    }
}

/// Why a client's metadata document was refused, for the error page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DocumentError(pub(super) &'static str);

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the client's metadata document was refused: {}", self.0)
    }
}

/// Whether `id` names a metadata document rather than a registration.
pub(super) fn is_document_id(id: &str) -> bool {
    id.starts_with("https://")
}

/// `id` as a document URL: https, with a path, and written as the URL
/// standard writes it (no dot segments, no default port, nothing to
/// normalize), without a fragment or credentials.
fn document_url(id: &str) -> Result<url::Url, DocumentError> {
    let url = url::Url::parse(id).map_err(|_| DocumentError("the client_id is not a URL"))?;
    if url.scheme() != "https" {
        return Err(DocumentError("the client_id is not an https URL"));
    }
    if url.as_str() != id || url.path() == "/" {
        return Err(DocumentError(
            "the client_id must be an https URL with a path, written as the URL standard writes it",
        ));
    }
    if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(DocumentError("the client_id has a fragment or credentials"));
    }
    Ok(url)
}

/// How long the response may be cached, from `Cache-Control`.
fn cache_lifetime(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let mut max_age = None;
    for directive in headers
        .get_all(reqwest::header::CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
    {
        let directive = directive.trim().to_ascii_lowercase();
        if ["no-store", "no-cache", "private"].contains(&directive.as_str()) {
            return None;
        }
        if let Some(seconds) = directive.strip_prefix("max-age=") {
            max_age = seconds.trim_matches('"').parse::<u64>().ok();
        }
    }
    max_age
        .filter(|seconds| *seconds > 0)
        .map(|seconds| Duration::from_secs(seconds).min(MAX_CACHED))
}

/// The document's fields this server reads.
#[derive(serde::Deserialize)]
struct Document {
    client_id: String,
    redirect_uris: Vec<String>,
    client_name: Option<String>,
    token_endpoint_auth_method: Option<String>,
}

/// The client a document describes, if it describes the client `id`.
fn parse(id: &str, body: &[u8]) -> Result<Client, DocumentError> {
    let document: Document = serde_json::from_slice(body).map_err(|_| {
        DocumentError("it is not client metadata with a client_id and redirect_uris")
    })?;
    if document.client_id != id {
        return Err(DocumentError(
            "its client_id is not the URL it was fetched from",
        ));
    }
    if document.redirect_uris.is_empty()
        || document.redirect_uris.len() > super::clients::MAX_REDIRECT_URIS
    {
        return Err(DocumentError("it has no redirect URIs, or too many"));
    }
    for uri in &document.redirect_uris {
        allowed_redirect(uri).map_err(DocumentError)?;
    }
    if document
        .token_endpoint_auth_method
        .as_deref()
        .is_some_and(|method| method != "none")
    {
        return Err(DocumentError(
            "its token_endpoint_auth_method is not none, the only one supported for documents",
        ));
    }
    let name = document
        .client_name
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| id.to_owned());
    if name.chars().count() > super::clients::MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(DocumentError(
            "its client_name is too long or holds control characters",
        ));
    }
    Ok(Client {
        id: id.to_owned(),
        secret_hash: None,
        name,
        redirect_uris: document.redirect_uris,
        origin: Origin::Document,
    })
}

/// Resolves names with the system, and keeps only public addresses.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| is_public(address.ip()))
                .collect();
            if addresses.is_empty() {
                return Err("the name resolves to no public address".into());
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// Whether `ip` is an address on the public internet: not loopback,
/// private, shared, link-local (cloud metadata services), multicast,
/// documentation or otherwise reserved.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(mapped) => is_public_v4(mapped),
            None => is_public_v6(ip),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || first == 0x2001 && ip.segments()[1] == 0x0db8
        || (first == 0x64 && ip.segments()[1] == 0xff9b)
        || first == 0x2002)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_fetched() {
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            let ip: IpAddr = refused.parse().expect("an address");
            assert!(!is_public(ip), "{refused}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            let ip: IpAddr = public.parse().expect("an address");
            assert!(is_public(ip), "{public}");
        }
    }

    #[test]
    fn a_client_id_is_an_https_url_with_a_path_written_plainly() {
        assert!(document_url("https://client.example/oauth/client.json").is_ok());
        for refused in [
            "http://client.example/client.json",
            "https://client.example",
            "https://client.example/",
            "https://client.example/a/../client.json",
            "https://client.example:443/client.json",
            "https://user@client.example/client.json",
            "https://client.example/client.json#x",
            "https://CLIENT.example/client.json",
        ] {
            assert!(document_url(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn a_document_is_cached_as_its_headers_allow_up_to_a_day() {
        let lifetime = |value: &str| {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(
                reqwest::header::CACHE_CONTROL,
                value.parse().expect("a header"),
            );
            cache_lifetime(&headers)
        };
        assert_eq!(lifetime("max-age=300"), Some(Duration::from_secs(300)));
        assert_eq!(lifetime("public, max-age=99999999"), Some(MAX_CACHED));
        assert_eq!(lifetime("max-age=300, no-store"), None);
        assert_eq!(lifetime("no-cache"), None);
        assert_eq!(lifetime("max-age=0"), None);
        assert_eq!(cache_lifetime(&reqwest::header::HeaderMap::new()), None);
    }

    #[test]
    fn one_host_is_fetched_from_a_bounded_number_of_times_a_minute() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            // Nothing listens on port 9: each fetch fails at once.
            let documents = ClientDocuments::new(
                reqwest::Client::builder().resolve("client.test", ([127, 0, 0, 1], 9).into()),
            )
            .expect("the fetcher");
            for attempt in 0..FETCHES_PER_HOST_AND_MINUTE {
                let id = format!("https://client.test/{attempt}.json");
                let refused = documents.client(&id).await.expect_err("nothing there");
                assert!(!refused.0.starts_with("too many"), "{refused}");
            }
            let refused = documents
                .client("https://client.test/more.json")
                .await
                .expect_err("limited");
            assert!(refused.0.starts_with("too many"), "{refused}");
        });
    }

    #[test]
    fn a_document_describes_the_client_it_was_fetched_for() {
        let id = "https://client.example/client.json";
        let good = br#"{"client_id":"https://client.example/client.json","client_name":"Example","redirect_uris":["http://127.0.0.1/cb"]}"#;
        let client = parse(id, good).expect("a client");
        assert_eq!(
            (client.name.as_str(), client.origin),
            ("Example", Origin::Document)
        );
        for refused in [
            &br#"{"client_id":"https://other.example/client.json","redirect_uris":["http://127.0.0.1/cb"]}"#[..],
            br#"{"client_id":"https://client.example/client.json","redirect_uris":["javascript:alert(1)"]}"#,
            br#"{"client_id":"https://client.example/client.json","redirect_uris":[]}"#,
            br#"{"client_id":"https://client.example/client.json","redirect_uris":["https://a/cb"],"token_endpoint_auth_method":"private_key_jwt"}"#,
            b"not json",
        ] {
            assert!(parse(id, refused).is_err());
        }
    }
}
