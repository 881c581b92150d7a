//! The stand-in authorization server, at Hydra's paths: `/oauth2/auth`
//! with a consent page, `/oauth2/token`, `/oauth2/revoke`, and discovery.
//! It refuses what Hydra and the RFCs it follows refuse; what it enforces,
//! and where it is simpler, is listed on [`StandIn`](super::StandIn).

use super::Shared;
use super::oidc;
use super::params::Params;
use crate::oauth::ProtocolScope;
use crate::{Scope, ScopeSet};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION,
    WWW_AUTHENTICATE, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write;
use std::time::Duration;

/// How long a consent page waits for its answer, and how many may wait.
const PENDING_LIFETIME: Duration = Duration::from_secs(600);
const MAX_PENDING: usize = 1024;
/// How long a code lives, and an access token.
const CODE_LIFETIME: Duration = Duration::from_secs(300);
pub(super) const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// The grant type of the embedded-app exchange (RFC 7523).
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The grant types the token endpoint takes, as discovery lists them.
pub(super) const GRANT_TYPES: [&str; 3] = ["authorization_code", "refresh_token", JWT_BEARER];
/// The fewest characters Hydra takes in a `state` or `nonce`: less is too
/// weak to stop forgery.
const MIN_ENTROPY_CHARS: usize = 8;

/// An app registered with the stand-in, as one is in the Fanvue developer
/// area: its credentials, its exact redirect URIs, and the scopes it may
/// request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// The client id.
    pub id: String,
    /// The client secret.
    pub secret: String,
    /// The redirect URIs, compared exactly; on a loopback IP
    /// (`http://127.0.0.1/..`, `http://[::1]/..`) any port is taken, as
    /// RFC 8252 §7.3 says and Hydra does (`localhost` is compared exactly).
    pub redirect_uris: Vec<String>,
    /// The resource scopes the app may request.
    pub scopes: ScopeSet,
}

impl Client {
    /// A client with one redirect URI.
    pub fn new(id: &str, secret: &str, redirect_uri: &str, scopes: ScopeSet) -> Self {
        Client {
            id: id.to_owned(),
            secret: secret.to_owned(),
            redirect_uris: vec![redirect_uri.to_owned()],
            scopes,
        }
    }
}

/// What the user does at the consent step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Consent {
    /// Show the consent page, with a checkbox per requested scope.
    #[default]
    Page,
    /// Grant exactly these of the requested scopes, without a page.
    Grant(ScopeSet),
    /// Deny, without a page.
    Deny,
}

/// The protocol scopes a flow asked for, as bits of [`ProtocolScope::ALL`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Protocol(u8);

impl Protocol {
    fn with(self, scope: ProtocolScope) -> Self {
        let index = ProtocolScope::ALL.iter().position(|known| *known == scope);
        Protocol(self.0 | index.map_or(0, |index| 1 << index))
    }

    fn contains(self, scope: ProtocolScope) -> bool {
        ProtocolScope::ALL
            .iter()
            .position(|known| *known == scope)
            .is_some_and(|index| self.0 & (1 << index) != 0)
    }

    fn iter(self) -> impl Iterator<Item = ProtocolScope> {
        ProtocolScope::ALL
            .into_iter()
            .filter(move |scope| self.contains(*scope))
    }

    /// `openid`: an ID token comes with the tokens.
    fn openid(self) -> bool {
        self.iter().any(|scope| scope.as_str() == "openid")
    }

    /// `offline_access` or `offline`: a refresh token comes too.
    fn offline(self) -> bool {
        self.iter().any(|scope| scope.as_str() != "openid")
    }
}

/// What one grant (a code, an assertion) allows, and what was asked.
#[derive(Clone, Debug)]
struct Grant {
    client_id: String,
    scopes: ScopeSet,
    protocol: Protocol,
    nonce: Option<String>,
}

/// The server's memory of the flows in progress and the tokens it issued.
#[derive(Default)]
pub(super) struct AuthState {
    pub(super) clients: Vec<Client>,
    pub(super) consent: Consent,
    /// What the user allows each client now: of the scopes a consent asked
    /// for, those ticked; the others as an earlier consent left them. A
    /// step-up's consent page marks what is new, what was declined last
    /// time included.
    consented: HashMap<String, ScopeSet>,
    pending: HashMap<String, Pending>,
    codes: HashMap<String, Code>,
    pub(super) tokens: HashMap<String, Token>,
    refresh_tokens: HashMap<String, Refresh>,
    pub(super) assertions: HashMap<String, ScopeSet>,
    /// How the token endpoint behaves, as tests set it.
    pub(super) token_endpoint: TokenEndpoint,
}

/// The token endpoint's test settings and counts: what real deployments
/// meet (a slow answer, a `503`), made to order, and what a test of a
/// client checks (how many refreshes, how many reuses).
#[derive(Default)]
pub(super) struct TokenEndpoint {
    /// How long each request waits before it is read.
    pub(super) delay: Duration,
    /// How long each answer waits once the work is done (tokens rotated):
    /// a client that gives up then has lost the answer, not the rotation.
    pub(super) answer_delay: Duration,
    /// Answers to give instead, one request each, before any other work.
    pub(super) failures: std::collections::VecDeque<StatusCode>,
    /// The lifetime of the access tokens it issues from now on, when set.
    pub(super) lifetime: Option<Duration>,
    /// Refresh tokens exchanged for new tokens.
    pub(super) refreshes: usize,
    /// Spent refresh tokens presented again (each revoked its grant).
    pub(super) reuses: usize,
}

/// An authorize request waiting on the consent page.
struct Pending {
    expires: Duration,
    redirect_uri: String,
    state: Vec<u8>,
    challenge: String,
    grant: Grant,
}

struct Code {
    redirect_uri: String,
    challenge: String,
    grant: Grant,
    expires: Duration,
    /// Once exchanged, the grant its tokens belong to: a second exchange
    /// revokes them.
    redeemed: Option<u64>,
}

/// An access token: its scopes, when it expires, and the grant it belongs
/// to (one per code or assertion, kept through refreshes).
pub(super) struct Token {
    pub(super) scopes: ScopeSet,
    pub(super) expires: Duration,
    client_id: String,
    grant: u64,
    pub(super) revoked: bool,
}

struct Refresh {
    grant: Grant,
    id: u64,
    spent: bool,
}

/// `GET /oauth2/auth`.
pub(super) async fn authorize(State(shared): State<Shared>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    // A repeated or undecodable parameter is `invalid_request`, sent to
    // the client when its id and redirect URI are each there once and
    // valid, shown on a page otherwise (RFC 6749 §4.1.2.1).
    let (params, malformed) = match Params::parse(query.as_bytes()) {
        Ok(params) => (params, None),
        Err(malformed) => (Params::parse_unique(query.as_bytes()), Some(malformed)),
    };
    let mut auth = shared.lock();
    // An unknown client or redirect URI is never redirected to.
    let Some(client) = params
        .get("client_id")
        .and_then(|id| auth.clients.iter().find(|client| client.id == id))
    else {
        return error_page("unknown client: the client_id is not registered");
    };
    let Some(redirect_uri) = params.get("redirect_uri").filter(|uri| {
        client
            .redirect_uris
            .iter()
            .any(|known| crate::oauth::redirect_matches(known, uri))
    }) else {
        return error_page("the redirect_uri is not one registered for this client");
    };
    let client = client.clone();
    let issuer = shared.issuer();
    let state = params.bytes("state").map(<[u8]>::to_vec);
    let refuse = |error: &str, description: &str| {
        redirect(
            redirect_uri,
            &[
                ("error", error),
                (
                    "error_description",
                    &crate::oauth::error_description(description),
                ),
            ],
            state.as_deref(),
            &issuer,
        )
    };
    if let Some(malformed) = malformed {
        return refuse("invalid_request", &malformed.describe());
    }
    match params.get("response_type") {
        Some("code") => {}
        Some(_) => {
            return refuse(
                "unsupported_response_type",
                "only the authorization code flow (response_type=code) is supported",
            );
        }
        None => return refuse("invalid_request", "the response_type is missing"),
    }
    let Some(state) = state
        .as_ref()
        .filter(|state| state.len() >= MIN_ENTROPY_CHARS)
    else {
        return refuse(
            "invalid_state",
            "the state is missing or has fewer than 8 characters, too weak to stop forgery",
        );
    };
    let nonce = params.get("nonce").map(str::to_owned);
    if nonce
        .as_ref()
        .is_some_and(|nonce| nonce.len() < MIN_ENTROPY_CHARS)
    {
        return refuse("invalid_request", "the nonce has fewer than 8 characters");
    }
    let challenge = match (
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    ) {
        (Some(challenge), Some("S256")) if valid_pkce(challenge) => challenge.to_owned(),
        (Some(_), Some("S256")) => {
            return refuse(
                "invalid_request",
                "the code_challenge is not a S256 challenge",
            );
        }
        (None, _) => {
            return refuse(
                "invalid_request",
                "PKCE is required: code_challenge is missing",
            );
        }
        (Some(_), _) => {
            return refuse(
                "invalid_request",
                "the code_challenge_method must be S256; plain is not allowed",
            );
        }
    };
    let mut grant = Grant {
        client_id: client.id.clone(),
        scopes: ScopeSet::EMPTY,
        protocol: Protocol::default(),
        nonce,
    };
    for name in params
        .get("scope")
        .unwrap_or_default()
        .split(' ')
        .filter(|name| !name.is_empty())
    {
        match (name.parse::<Scope>(), ProtocolScope::from_name(name)) {
            (Ok(scope), _) if client.scopes.contains(scope) => {
                grant.scopes = grant.scopes.with(scope)
            }
            (_, Some(protocol)) => grant.protocol = grant.protocol.with(protocol),
            _ => {
                return refuse(
                    "invalid_scope",
                    &format!("the client may not request the scope `{name}`"),
                );
            }
        }
    }
    let now = shared.now();
    let pending = Pending {
        expires: now + PENDING_LIFETIME,
        redirect_uri: redirect_uri.to_owned(),
        state: state.clone(),
        challenge,
        grant,
    };
    match auth.consent {
        Consent::Grant(scopes) => decide(&mut auth, &shared, pending, Some(scopes), now),
        Consent::Deny => decide(&mut auth, &shared, pending, None, now),
        Consent::Page => {
            // Unanswered pages expire, and only so many wait at once: a
            // stand-in served by an example app is reachable by anyone on
            // the machine.
            auth.pending.retain(|_, pending| pending.expires > now);
            if auth.pending.len() >= MAX_PENDING {
                return error_page("too many sign-ins are waiting; try again in a few minutes");
            }
            let id = shared.secret("request");
            let already = auth.consented.get(&client.id).copied().unwrap_or_default();
            let page = consent_page(&id, &pending, already);
            auth.pending.insert(id, pending);
            page_response(StatusCode::OK, page)
        }
    }
}

/// `POST /oauth2/consent`: the consent page's form.
pub(super) async fn consent(State(shared): State<Shared>, body: Bytes) -> Response {
    let mut granted = ScopeSet::EMPTY;
    let (mut request, mut allow) = (None, false);
    for (name, value) in url::form_urlencoded::parse(&body) {
        match &*name {
            "request" => request = Some(value.into_owned()),
            "decision" => allow = value == "allow",
            "scope" => {
                if let Ok(scope) = value.parse::<Scope>() {
                    granted = granted.with(scope);
                }
            }
            _ => {}
        }
    }
    let mut auth = shared.lock();
    let now = shared.now();
    let Some(pending) = request
        .and_then(|id| auth.pending.remove(&id))
        .filter(|pending| pending.expires > now)
    else {
        return error_page("this consent request is unknown or already answered");
    };
    decide(&mut auth, &shared, pending, allow.then_some(granted), now)
}

/// Redirects with a code for what was granted (within what was asked), or
/// with `access_denied`.
fn decide(
    auth: &mut AuthState,
    shared: &Shared,
    pending: Pending,
    granted: Option<ScopeSet>,
    now: Duration,
) -> Response {
    let issuer = shared.issuer();
    let state = Some(pending.state.as_slice());
    let Some(granted) = granted else {
        return redirect(
            &pending.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "the user denied the request"),
            ],
            state,
            &issuer,
        );
    };
    let location = pending.redirect_uri.clone();
    let state = pending.state.clone();
    let code = issue_code(auth, pending, granted, now);
    redirect(&location, &[("code", &code)], Some(&state), &issuer)
}

/// A new code for what the user granted of what `pending` asked,
/// remembered as the user's consent for its client.
fn issue_code(auth: &mut AuthState, pending: Pending, granted: ScopeSet, now: Duration) -> String {
    let Pending {
        redirect_uri,
        challenge,
        mut grant,
        ..
    } = pending;
    let asked = grant.scopes;
    grant.scopes = granted.intersection(asked);
    // Expired codes go as new ones are made; redeemed ones stay until
    // then, so a replay is caught.
    auth.codes.retain(|_, code| code.expires > now);
    let allowed = auth.consented.entry(grant.client_id.clone()).or_default();
    *allowed = allowed.difference(asked) | grant.scopes;
    let code = format!("code-{}", super::random_hex());
    auth.codes.insert(
        code.clone(),
        Code {
            redirect_uri,
            challenge,
            grant,
            expires: now + CODE_LIFETIME,
            redeemed: None,
        },
    );
    code
}

/// Whether `value` is a PKCE verifier or S256 challenge: 43 to 128
/// unreserved characters (RFC 7636 §4.1, §4.2).
fn valid_pkce(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte))
}

/// A token request's form and client, once both are known good.
struct TokenRequest {
    params: Params,
    client_id: String,
}

/// A refusal before the grant is looked at, as RFC 6749 §5.2 writes it.
struct Refused(StatusCode, &'static str, String);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        token_error(self.0, self.1, &self.2)
    }
}

/// Reads a token or revocation request: a form body (RFC 6749 §3.2), each
/// parameter once, and one way of client authentication that passes.
fn read_client_request(
    shared: &Shared,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<TokenRequest, Refused> {
    let form = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| {
            media
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return Err(Refused(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded".to_string(),
        ));
    }
    let params = Params::parse(body).map_err(|malformed| {
        Refused(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            malformed.describe(),
        )
    })?;
    let basic = match headers.get(AUTHORIZATION) {
        Some(value) => Some(basic_credentials(value).ok_or_else(|| {
            Refused(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "the Authorization header is not HTTP Basic client credentials".to_string(),
            )
        })?),
        None => None,
    };
    let (id, secret) = match (basic, params.get("client_id"), params.get("client_secret")) {
        (Some(_), _, Some(_)) => {
            return Err(Refused(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the client authenticated in two ways; use one (RFC 6749 section 2.3)".to_string(),
            ));
        }
        (Some((id, _)), Some(form_id), None) if id != form_id => {
            return Err(Refused(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the client_id differs from the HTTP Basic one".to_string(),
            ));
        }
        (Some(credentials), _, None) => credentials,
        (None, Some(id), Some(secret)) => (id.to_owned(), secret.to_owned()),
        (None, _, _) => {
            return Err(Refused(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed".to_string(),
            ));
        }
    };
    let known = shared
        .lock()
        .clients
        .iter()
        .any(|client| client.id == id && client.secret == secret);
    if !known {
        return Err(Refused(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed".to_string(),
        ));
    }
    Ok(TokenRequest {
        params,
        client_id: id,
    })
}

/// `POST /oauth2/token`.
pub(super) async fn token(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (delay, failure, answer_delay) = {
        let mut auth = shared.lock();
        let endpoint = &mut auth.token_endpoint;
        (
            endpoint.delay,
            endpoint.failures.pop_front(),
            endpoint.answer_delay,
        )
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = failure {
        return (status, [(CACHE_CONTROL, "no-store")], "try again later").into_response();
    }
    let TokenRequest { params, client_id } = match read_client_request(&shared, &headers, &body) {
        Ok(request) => request,
        Err(refused) => return refused.into_response(),
    };
    let answer = answer_token_request(&shared, &params, client_id);
    if !answer_delay.is_zero() {
        tokio::time::sleep(answer_delay).await;
    }
    answer
}

/// The token endpoint's work, once the request is read and its client
/// known.
fn answer_token_request(shared: &Shared, params: &Params, client_id: String) -> Response {
    let mut auth = shared.lock();
    let now = shared.now();
    match params.get("grant_type") {
        Some("authorization_code") => exchange_code(&mut auth, shared, params, &client_id, now),
        Some("refresh_token") => refresh(&mut auth, shared, params, &client_id, now),
        Some(JWT_BEARER) => {
            let Some(scopes) = params
                .get("assertion")
                .and_then(|assertion| auth.assertions.remove(assertion))
            else {
                return invalid_grant("the assertion is unknown or used");
            };
            let grant = Grant {
                client_id,
                scopes,
                protocol: Protocol::default(),
                nonce: None,
            };
            let id = shared.grant_id();
            let answered = Answered::from(&grant);
            issue(&mut auth, shared, grant, answered, id, false, now)
        }
        Some(_) => token_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "the grant_type is not supported",
        ),
        None => token_error(StatusCode::BAD_REQUEST, "invalid_request", "no grant_type"),
    }
}

/// The authorization code grant (RFC 6749 §4.1.3, RFC 7636 §4.6).
fn exchange_code(
    auth: &mut AuthState,
    shared: &Shared,
    params: &Params,
    client_id: &str,
    now: Duration,
) -> Response {
    let Some(presented) = params.get("code") else {
        return token_error(StatusCode::BAD_REQUEST, "invalid_request", "no code");
    };
    let Some(code) = auth.codes.get_mut(presented) else {
        return invalid_grant("the code is unknown, used or expired");
    };
    if let Some(redeemed) = code.redeemed {
        // A replayed code: what it issued is revoked (RFC 6749 §4.1.2).
        revoke_grant(auth, redeemed);
        return invalid_grant("the code was already used; the tokens it issued are revoked");
    }
    if code.grant.client_id != client_id || code.expires <= now {
        return invalid_grant("the code is unknown, used or expired");
    }
    if params.get("redirect_uri") != Some(code.redirect_uri.as_str()) {
        return invalid_grant("the redirect_uri differs from the authorize request's");
    }
    let verified = params.get("code_verifier").is_some_and(|verifier| {
        valid_pkce(verifier)
            && URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == code.challenge
    });
    if !verified {
        return invalid_grant("the PKCE code_verifier does not match the challenge");
    }
    let grant_id = shared.grant_id();
    code.redeemed = Some(grant_id);
    let grant = code.grant.clone();
    let offline = grant.protocol.offline();
    let answered = Answered::from(&grant);
    issue(auth, shared, grant, answered, grant_id, offline, now)
}

/// The refresh grant (RFC 6749 §6): rotation (the grant's earlier
/// access tokens revoked), reuse revoking the grant, and a `scope` that may narrow what the grant allows but never widen it.
fn refresh(
    auth: &mut AuthState,
    shared: &Shared,
    params: &Params,
    client_id: &str,
    now: Duration,
) -> Response {
    let Some(presented) = params.get("refresh_token") else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "no refresh_token",
        );
    };
    let Some(refresh) = auth.refresh_tokens.get_mut(presented) else {
        return invalid_grant("the refresh token is unknown or revoked");
    };
    if refresh.grant.client_id != client_id {
        return invalid_grant("the refresh token is another client's");
    }
    let grant_id = refresh.id;
    if refresh.spent {
        // Reuse of a spent token: the whole grant is revoked.
        auth.token_endpoint.reuses += 1;
        revoke_grant(auth, grant_id);
        return invalid_grant("the refresh token was already used; its grant is revoked");
    }
    let grant = refresh.grant.clone();
    // A narrower scope for this access token; the grant, and the refresh
    // token that carries it on, stay as they were (RFC 6749 §6).
    let mut scopes = grant.scopes;
    let mut protocol = grant.protocol;
    if let Some(asked) = params.get("scope") {
        let mut narrowed = ScopeSet::EMPTY;
        protocol = Protocol::default();
        for name in asked.split(' ').filter(|name| !name.is_empty()) {
            match (name.parse::<Scope>(), ProtocolScope::from_name(name)) {
                (Ok(scope), _) if grant.scopes.contains(scope) => narrowed = narrowed.with(scope),
                (_, Some(asked)) if grant.protocol.contains(asked) => {
                    protocol = protocol.with(asked);
                }
                _ => {
                    return token_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_scope",
                        &format!("the scope `{name}` was not granted; a refresh can only narrow"),
                    );
                }
            }
        }
        scopes = narrowed;
    }
    refresh.spent = true;
    auth.token_endpoint.refreshes += 1;
    // As Hydra (fosite) rotates, it revokes the grant's access tokens:
    // only the newest one works.
    for token in auth
        .tokens
        .values_mut()
        .filter(|token| token.grant == grant_id)
    {
        token.revoked = true;
    }
    let answered = Answered { scopes, protocol };
    issue(auth, shared, grant, answered, grant_id, true, now)
}

/// Revokes every grant of a client.
pub(super) fn revoke_client_grants(auth: &mut AuthState, client_id: &str) {
    for token in auth
        .tokens
        .values_mut()
        .filter(|token| token.client_id == client_id)
    {
        token.revoked = true;
    }
    auth.refresh_tokens
        .retain(|_, refresh| refresh.grant.client_id != client_id);
}

/// Revokes every token of a grant: its access tokens and refresh tokens.
fn revoke_grant(auth: &mut AuthState, grant: u64) {
    for token in auth
        .tokens
        .values_mut()
        .filter(|token| token.grant == grant)
    {
        token.revoked = true;
    }
    auth.refresh_tokens.retain(|_, refresh| refresh.id != grant);
}

/// What one token response gives: the grant's scopes, or a refresh's
/// narrower ones.
struct Answered {
    scopes: ScopeSet,
    protocol: Protocol,
}

impl From<&Grant> for Answered {
    fn from(grant: &Grant) -> Self {
        Answered {
            scopes: grant.scopes,
            protocol: grant.protocol,
        }
    }
}

/// A token response: an access token with the answered scopes, a rotated
/// refresh token (carrying the whole grant) for an offline grant, an ID
/// token when `openid` is answered, and `scope`: exactly the protocol
/// scopes asked, then the resource scopes.
fn issue(
    auth: &mut AuthState,
    shared: &Shared,
    grant: Grant,
    answered: Answered,
    grant_id: u64,
    offline: bool,
    now: Duration,
) -> Response {
    let Answered { scopes, protocol } = answered;
    let access = new_access_token(auth, &grant.client_id, scopes, grant_id, now);
    let granted: Vec<&str> = protocol
        .iter()
        .map(ProtocolScope::as_str)
        .chain(scopes.iter().map(Scope::as_str))
        .collect();
    let mut body = serde_json::json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": auth.token_endpoint.lifetime.unwrap_or(TOKEN_LIFETIME).as_secs(),
        "scope": granted.join(" "),
    });
    if offline {
        let refresh = format!("rt-{}", super::random_hex());
        body["refresh_token"] = refresh.clone().into();
        auth.refresh_tokens.insert(
            refresh,
            Refresh {
                grant: grant.clone(),
                id: grant_id,
                spent: false,
            },
        );
    }
    if protocol.openid() {
        let jti = super::random_hex();
        match oidc::id_token(
            &shared.issuer(),
            &grant.client_id,
            &access,
            grant.nonce.as_deref(),
            shared.skipped(),
            jti,
        ) {
            Some(id_token) => body["id_token"] = id_token.into(),
            None => {
                return token_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "the ID token could not be signed",
                );
            }
        }
    }
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `POST /oauth2/revoke` (RFC 7009): revokes the token's grant, access
/// and refresh tokens alike, as Hydra does; `200` for a token it does not
/// know, as §2.2 says.
pub(super) async fn revoke(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let TokenRequest { params, client_id } = match read_client_request(&shared, &headers, &body) {
        Ok(request) => request,
        Err(refused) => return refused.into_response(),
    };
    let Some(token) = params.get("token") else {
        return token_error(StatusCode::BAD_REQUEST, "invalid_request", "no token");
    };
    let mut auth = shared.lock();
    let found = match auth.tokens.get(token) {
        Some(access) => Some((access.client_id.clone(), access.grant)),
        None => auth
            .refresh_tokens
            .get(token)
            .map(|refresh| (refresh.grant.client_id.clone(), refresh.id)),
    };
    match found {
        Some((owner, _)) if owner != client_id => token_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "the token was issued to another client",
        ),
        Some((_, grant)) => {
            revoke_grant(&mut auth, grant);
            revoked()
        }
        None => revoked(),
    }
}

fn revoked() -> Response {
    ([(CACHE_CONTROL, "no-store")], StatusCode::OK).into_response()
}

/// A new access token for `client_id`, in grant `grant`, expiring an hour
/// from `now`: every token the stand-in issues is made here.
fn new_access_token(
    auth: &mut AuthState,
    client_id: &str,
    scopes: ScopeSet,
    grant: u64,
    now: Duration,
) -> String {
    let access = format!("at-{}", super::random_hex());
    auth.tokens.insert(
        access.clone(),
        Token {
            scopes,
            expires: now + auth.token_endpoint.lifetime.unwrap_or(TOKEN_LIFETIME),
            client_id: client_id.to_owned(),
            grant,
            revoked: false,
        },
    );
    access
}

/// A token whose scopes the stand-in's API honours, issued in a grant of
/// its own client's, as the token endpoint issues every access token.
pub(super) fn issue_for_test(shared: &Shared, scopes: ScopeSet) -> String {
    const CLIENT: &str = "stand-in-tests";
    let mut auth = shared.lock();
    if !auth.clients.iter().any(|client| client.id == CLIENT) {
        // A secret no one knows: its tokens are issued here only.
        let secret = shared.secret("secret");
        auth.clients
            .push(Client::new(CLIENT, &secret, "urn:stand-in", ScopeSet::ALL));
    }
    new_access_token(&mut auth, CLIENT, scopes, shared.grant_id(), shared.now())
}

/// HTTP Basic client credentials, each form-decoded (RFC 6749 §2.3.1).
fn basic_credentials(value: &HeaderValue) -> Option<(String, String)> {
    let (scheme, encoded) = value.to_str().ok()?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let form_decode = |text: &str| -> Option<String> {
        let spaced = text.replace('+', " ");
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8()
            .ok()
            .map(|text| text.into_owned())
    };
    Some((form_decode(id)?, form_decode(secret)?))
}

/// RFC 6749 §5.2.
fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    let description = crate::oauth::error_description(description);
    let body = serde_json::json!({ "error": error, "error_description": description });
    let mut response = (
        status,
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"stand-in\""),
        );
    }
    response
}

fn invalid_grant(description: &str) -> Response {
    token_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// `302` to the client's redirect URI with `pairs`, the echoed `state`
/// byte for byte, and `iss` (RFC 9207).
fn redirect(
    redirect_uri: &str,
    pairs: &[(&str, &str)],
    state: Option<&[u8]>,
    issuer: &str,
) -> Response {
    let mut query = String::new();
    let mut append = |name: &str, value: &[u8]| {
        if !query.is_empty() {
            query.push('&');
        }
        query.extend(url::form_urlencoded::byte_serialize(name.as_bytes()));
        query.push('=');
        query.extend(url::form_urlencoded::byte_serialize(value));
    };
    for (name, value) in pairs {
        append(name, value.as_bytes());
    }
    if let Some(state) = state {
        append("state", state);
    }
    append("iss", issuer.as_bytes());
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{separator}{query}");
    (StatusCode::FOUND, [(LOCATION, location)]).into_response()
}

/// A page of the stand-in's own: never cached, never framed (RFC 9700
/// §4.16).
fn page_response(status: StatusCode, page: String) -> Response {
    (
        status,
        [
            (CONTENT_TYPE, "text/html; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
            (X_FRAME_OPTIONS, "DENY"),
            (CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
        ],
        page,
    )
        .into_response()
}

fn error_page(problem: &str) -> Response {
    page_response(
        StatusCode::BAD_REQUEST,
        format!(
            "<!doctype html><title>Stand-in Fanvue: error</title><h1>This sign-in can't continue</h1><p>{}</p>",
            escape(problem)
        ),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The consent page: each requested resource scope with its description
/// from `scopes.toml` and a checkbox; the protocol scopes fixed. On a
/// step-up (the client holds some scopes already) it says the app asks
/// for more, and marks each scope new or already allowed.
fn consent_page(id: &str, pending: &Pending, already: ScopeSet) -> String {
    let requested = pending.grant.scopes;
    let new = requested.difference(already);
    let step_up = !already.intersection(requested).is_empty() && !new.is_empty();
    let mut page = String::from(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width\">",
        "<title>Stand-in Fanvue: allow access?</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}",
        "label{display:block;margin:.6rem 0}small{color:#555;display:block;margin-left:1.6rem}",
        ".new{background:#fff3c4;border-radius:.3rem;padding:.1rem .4rem;font-size:.8rem;font-weight:600;margin-left:.4rem}",
        ".held{color:#555;font-size:.8rem;margin-left:.4rem}",
        "button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}</style></head><body>",
    ));
    let client = escape(&pending.grant.client_id);
    if step_up {
        let _ = write!(
            page,
            "<h1>{client} asks for more access</h1><p>You allowed <strong>{client}</strong> some \
             access before. It now also asks for what is marked <strong>new</strong>; \
             untick anything you don't want it to have.</p>"
        );
    } else {
        let _ = write!(
            page,
            "<h1>Allow access to your Fanvue account?</h1><p><strong>{client}</strong> asks for:</p>"
        );
    }
    let _ = write!(
        page,
        "<form method=\"post\" action=\"/oauth2/consent\"><input type=\"hidden\" name=\"request\" value=\"{}\">",
        escape(id)
    );
    for scope in requested {
        let mark = if !step_up {
            ""
        } else if new.contains(scope) {
            "<span class=\"new\">new</span>"
        } else {
            "<span class=\"held\">already allowed</span>"
        };
        let _ = write!(
            page,
            "<label><input type=\"checkbox\" name=\"scope\" value=\"{name}\" id=\"scope-{name}\" checked> \
             <code>{name}</code>{mark}<small>{}</small></label>",
            escape(scope.description()),
            name = scope.as_str()
        );
    }
    let protocol: Vec<String> = pending
        .grant
        .protocol
        .iter()
        .map(|scope| format!("<code>{}</code>", scope.as_str()))
        .collect();
    if !protocol.is_empty() {
        let _ = write!(page, "<p>Always included: {}.</p>", protocol.join(", "));
    }
    page.push_str(
        "<button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></form></body></html>",
    );
    page
}
