//! The server's own tokens: issued at the token endpoint for a code or a
//! refresh token, revoked by family, and checked on every request to the
//! MCP endpoint, where the user's Fanvue token is fetched for the tools.

use super::clients::Form;
use super::{
    AuthorizationServer, hashed, now, oauth_error, random_token, s256, unavailable, valid_pkce,
};
use crate::grant::sql::{Tx, Value};
use crate::grant::{GrantError, Token};
use crate::{Granted, ScopeSet};
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a token of the server's is taken as checked, with no store
/// read: a revocation is seen within this.
const ACCESS_CACHE_TIME: Duration = Duration::from_secs(2);

/// The user's Fanvue access, for the tools: on every request to the MCP
/// endpoint that [`authenticate`] admitted, a Fanvue access token valid for
/// a minute at least, refreshed by the grant store when it was due. Read
/// it in a tool from the request's parts (rmcp's
/// `Extension<axum::http::request::Parts>`); the tool never sees the MCP
/// client's token, and the MCP client never sees this one.
#[derive(Clone)]
pub struct FanvueAccess {
    token: Token,
}

impl fmt::Debug for FanvueAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FanvueAccess")
            .field("scopes", &self.token.scopes())
            .finish_non_exhaustive()
    }
}

impl FanvueAccess {
    /// The Fanvue access token, for `Authorization: Bearer ..`.
    pub fn bearer(&self) -> &str {
        self.token.secret()
    }

    /// What it grants.
    pub fn scopes(&self) -> ScopeSet {
        self.token.scopes()
    }
}

/// A token of the server's, as a request to the MCP endpoint needs it.
#[derive(Clone)]
struct Access {
    grant_key: String,
    scopes: ScopeSet,
    family: String,
}

/// Tokens checked a moment ago.
#[derive(Default)]
pub(super) struct AccessCache(Mutex<HashMap<Vec<u8>, (Instant, Access)>>);

impl AccessCache {
    fn get(&self, hash: &[u8]) -> Option<Access> {
        let entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (kept, access) = entries.get(hash)?;
        (kept.elapsed() < ACCESS_CACHE_TIME).then(|| access.clone())
    }

    fn keep(&self, hash: Vec<u8>, access: &Access) {
        let mut entries = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() > 4096 {
            entries.retain(|_, (kept, _)| kept.elapsed() < ACCESS_CACHE_TIME);
        }
        entries.insert(hash, (Instant::now(), access.clone()));
    }

    fn forget_family(&self, family: &str) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, (_, access)| access.family != family);
    }
}

impl AuthorizationServer {
    /// The live access token `token` stands for.
    async fn access(&self, token: &str) -> Result<Option<Access>, sqlx::Error> {
        let hash = hashed(token);
        if let Some(access) = self.0.access.get(&hash) {
            return Ok(Some(access));
        }
        let row = self
            .0
            .store
            .db()
            .fetch_optional(
                "SELECT grant_key, scopes, family FROM fanvue_mcp_tokens \
                 WHERE token_hash = ? AND kind = 'access' AND revoked = 0 AND expires_at > ?",
                &[Value::Bytes(&hash), Value::Int(now() as i64)],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let access = Access {
            grant_key: row.text("grant_key")?,
            scopes: ScopeSet::parse_lenient(&row.text("scopes")?).known(),
            family: row.text("family")?,
        };
        self.0.access.keep(hash, &access);
        Ok(Some(access))
    }

    /// Revokes every token of `family`, here and in the cache.
    async fn revoke_family(&self, family: &str) -> Result<(), sqlx::Error> {
        self.0.access.forget_family(family);
        self.0
            .store
            .db()
            .execute(
                "UPDATE fanvue_mcp_tokens SET revoked = 1 WHERE family = ?",
                &[Value::Text(family)],
            )
            .await
            .map(|_| ())
    }

    /// A `401 invalid_token` naming the metadata: the client signs in again.
    fn invalid_token(&self) -> Response {
        let mut response = (
            StatusCode::UNAUTHORIZED,
            [(CONTENT_TYPE, "application/json")],
            r#"{"error":"invalid_token","error_description":"the token is unknown, expired or revoked; sign in again"}"#,
        )
            .into_response();
        let challenge = format!(
            "Bearer error=\"invalid_token\", resource_metadata=\"{}\"",
            self.resource_metadata_url()
        );
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// Issues an access and a refresh token in `family` for `client` and the
/// grant `grant_key`, the access token expiring with Fanvue's: the token
/// response.
async fn issue(
    tx: &mut Tx,
    client: &str,
    grant_key: &str,
    family: &str,
    upstream: &Token,
    scopes: ScopeSet,
    offline: bool,
) -> Result<Response, Response> {
    let (Some(access), Some(refresh)) = (random_token(), random_token()) else {
        return Err(unavailable("no randomness from the OS"));
    };
    let (access, refresh) = (format!("fva_{access}"), format!("fvr_{refresh}"));
    let expires_at = upstream
        .expires_at()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let scope = scopes.to_string();
    // A refresh token, when `offline_access` was asked for, lives as long
    // as its family and the Fanvue grant.
    let issued = [
        ("access", &access, expires_at),
        ("refresh", &refresh, i64::MAX as u64),
    ];
    for &(kind, token, expires) in &issued[..if offline { 2 } else { 1 }] {
        tx.execute(
            "INSERT INTO fanvue_mcp_tokens (token_hash, kind, family, client_id, grant_key, \
             scopes, expires_at, spent_at, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 0)",
            &[
                Value::Bytes(&hashed(token)),
                Value::Text(kind),
                Value::Text(family),
                Value::Text(client),
                Value::Text(grant_key),
                Value::Text(&scope),
                Value::Int(expires.min(i64::MAX as u64) as i64),
            ],
        )
        .await
        .map_err(|_| unavailable("the server's store is unavailable"))?;
    }
    let mut body = serde_json::json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": expires_at.saturating_sub(now()),
        "scope": scope,
    });
    if offline {
        body["refresh_token"] = refresh.into();
    }
    Ok((
        StatusCode::OK,
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response())
}

/// The grant key and family of the code or refresh token `select` finds
/// by `hash`, if it is `client`'s; else `invalid_grant`, saying `why.0`
/// when none is found and `why.1` when it is another client's.
async fn owned_by(
    server: &AuthorizationServer,
    client: &str,
    select: &str,
    hash: &[u8],
    why: (&str, &str),
) -> Result<(String, String), Response> {
    let row = server
        .0
        .store
        .db()
        .fetch_optional(select, &[Value::Bytes(hash)])
        .await
        .map_err(|_| unavailable("the server's store is unavailable"))?
        .ok_or_else(|| invalid_grant(why.0))?;
    let (Ok(grant_key), Ok(family), Ok(owner)) = (
        row.text("grant_key"),
        row.text("family"),
        row.text("client_id"),
    ) else {
        return Err(invalid_grant("the stored grant can't be read"));
    };
    if owner != client {
        return Err(invalid_grant(why.1));
    }
    Ok((grant_key, family))
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| {
            media
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// `POST /oauth/token`: a code (with its PKCE verifier) or a refresh token
/// for a new pair.
pub(super) async fn token(
    State(server): State<AuthorizationServer>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    }
    let form = match Form::parse(&body) {
        Ok(form) => form,
        Err(repeated) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("the parameter `{repeated}` is given more than once"),
            );
        }
    };
    let client = match server.authenticate_client(&headers, &form).await {
        Ok(client) => client,
        Err(refused) => return refused,
    };
    if form
        .get("resource")
        .is_some_and(|resource| resource != server.0.resource)
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_target",
            "the resource must be this server's MCP URL",
        );
    }
    let answer = match form.get("grant_type") {
        Some("authorization_code") => exchange_code(&server, &client.id, &form).await,
        Some("refresh_token") => refresh(&server, &client.id, &form).await,
        Some(_) => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code and refresh_token are supported",
        )),
        None => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the grant_type is missing",
        )),
    };
    answer.unwrap_or_else(|refused| refused)
}

/// The Fanvue token of `grant_key`, or the refusal it comes to: a grant
/// Fanvue ended revokes `family` and is `invalid_grant`.
async fn upstream(
    server: &AuthorizationServer,
    grant_key: &str,
    family: &str,
) -> Result<Token, Response> {
    match server.0.store.token(grant_key).await {
        Ok(token) => Ok(token),
        Err(GrantError::SignInAgain { .. }) => {
            let _ = server.revoke_family(family).await;
            Err(invalid_grant(
                "the Fanvue grant behind this token has ended; sign in again",
            ))
        }
        Err(error) if error.is_transient() => {
            Err(unavailable("Fanvue or the store is unavailable"))
        }
        Err(_) => Err(oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the Fanvue grant can't be read",
        )),
    }
}

async fn exchange_code(
    server: &AuthorizationServer,
    client: &str,
    form: &Form,
) -> Result<Response, Response> {
    let (Some(code), Some(redirect_uri), Some(verifier)) = (
        form.get("code"),
        form.get("redirect_uri"),
        form.get("code_verifier"),
    ) else {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code, redirect_uri and code_verifier are required",
        ));
    };
    let hash = hashed(code);
    let db = server.0.store.db();
    let (grant_key, family) = owned_by(
        server,
        client,
        "SELECT grant_key, family, client_id FROM fanvue_mcp_codes WHERE code_hash = ?",
        &hash,
        (
            "the code is unknown, used or expired",
            "the code is unknown, used or expired",
        ),
    )
    .await?;
    // The Fanvue token first: a refresh of it takes a lock of its own.
    let upstream = upstream(server, &grant_key, &family).await?;
    let mut tx = db
        .begin_write(server.0.store.wait())
        .await
        .map_err(|_| unavailable("the server's store is busy"))?;
    let locked = tx
        .fetch_for_update(
            "SELECT redirect_uri, code_challenge, scopes, expires_at, used FROM fanvue_mcp_codes \
             WHERE code_hash = ?",
            &[Value::Bytes(&hash)],
        )
        .await
        .map_err(|_| unavailable("the server's store is busy"))?;
    let Some(row) = locked else {
        return Err(invalid_grant("the code is unknown, used or expired"));
    };
    let read = |column: &str| row.text(column).unwrap_or_default();
    if row.int("used").unwrap_or(1) != 0 {
        // A replayed code: what it issued is revoked (RFC 6749 §4.1.2).
        drop(tx);
        let _ = server.revoke_family(&family).await;
        return Err(invalid_grant(
            "the code was already used; the tokens it issued are revoked",
        ));
    }
    if u64::try_from(row.int("expires_at").unwrap_or(0)).unwrap_or(0) <= now() {
        return Err(invalid_grant("the code is unknown, used or expired"));
    }
    if read("redirect_uri") != redirect_uri {
        return Err(invalid_grant(
            "the redirect_uri differs from the authorize request's",
        ));
    }
    if !valid_pkce(verifier) || s256(verifier) != read("code_challenge") {
        return Err(invalid_grant(
            "the PKCE code_verifier does not match the challenge",
        ));
    }
    let stored = read("scopes");
    let stored = ScopeSet::parse_lenient(&stored);
    let offline = stored
        .protocol()
        .any(|scope| scope.as_str() == super::OFFLINE);
    let scopes = stored.known() & upstream.scopes();
    let store_error = |_| unavailable("the server's store is unavailable");
    tx.execute(
        "UPDATE fanvue_mcp_codes SET used = 1 WHERE code_hash = ?",
        &[Value::Bytes(&hash)],
    )
    .await
    .map_err(store_error)?;
    tx.execute(
        "UPDATE fanvue_mcp_clients SET used_at = ? WHERE client_id = ?",
        &[Value::Int(now() as i64), Value::Text(client)],
    )
    .await
    .map_err(store_error)?;
    let response = issue(
        &mut tx, client, &grant_key, &family, &upstream, scopes, offline,
    )
    .await?;
    tx.commit().await.map_err(store_error)?;
    Ok(response)
}

async fn refresh(
    server: &AuthorizationServer,
    client: &str,
    form: &Form,
) -> Result<Response, Response> {
    let Some(presented) = form.get("refresh_token") else {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the refresh_token is missing",
        ));
    };
    let hash = hashed(presented);
    let db = server.0.store.db();
    let (grant_key, family) = owned_by(
        server,
        client,
        "SELECT grant_key, family, client_id FROM fanvue_mcp_tokens \
         WHERE token_hash = ? AND kind = 'refresh' AND revoked = 0",
        &hash,
        (
            "the refresh token is unknown or revoked",
            "the refresh token is another client's",
        ),
    )
    .await?;
    let upstream = upstream(server, &grant_key, &family).await?;
    // Exactly what Fanvue granted now, within what the tools use; a
    // refresh may narrow it, never widen it (RFC 6749 §6): a client that
    // wants more authorizes again, and the user is asked.
    let granted = upstream.scopes() & server.0.usable;
    let scopes = match form.get("scope") {
        None => granted,
        Some(asked) => {
            let names = ScopeSet::parse_lenient(asked);
            let asked = names.known();
            if names.has_unknown() || !granted.contains_all(asked) {
                return Err(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "a refresh can only narrow the scope; authorize again for more",
                ));
            }
            if asked.is_empty() { granted } else { asked }
        }
    };
    let mut tx = db
        .begin_write(server.0.store.wait())
        .await
        .map_err(|_| unavailable("the server's store is busy"))?;
    let locked = tx
        .fetch_for_update(
            "SELECT spent_at, revoked FROM fanvue_mcp_tokens WHERE token_hash = ?",
            &[Value::Bytes(&hash)],
        )
        .await
        .map_err(|_| unavailable("the server's store is busy"))?;
    let Some(row) = locked else {
        return Err(invalid_grant("the refresh token is unknown or revoked"));
    };
    if row.int("revoked").unwrap_or(1) != 0 {
        return Err(invalid_grant("the refresh token is unknown or revoked"));
    }
    let store_error = |_| unavailable("the server's store is unavailable");
    match row.maybe_int("spent_at").unwrap_or(Some(0)) {
        // Spent a moment ago by its own client: a second refresh of one
        // token at once (two tabs, two processes). It gets a pair too.
        Some(spent) if now().saturating_sub(spent as u64) <= server.0.refresh_grace.as_secs() => {}
        // Spent long ago: a reuse, taken as theft; the family is revoked.
        Some(_) => {
            drop(tx);
            let _ = server.revoke_family(&family).await;
            return Err(invalid_grant(
                "the refresh token was already used; its family is revoked",
            ));
        }
        None => {
            tx.execute(
                "UPDATE fanvue_mcp_tokens SET spent_at = ? WHERE token_hash = ?",
                &[Value::Int(now() as i64), Value::Bytes(&hash)],
            )
            .await
            .map_err(store_error)?;
        }
    }
    let response = issue(
        &mut tx, client, &grant_key, &family, &upstream, scopes, true,
    )
    .await?;
    tx.commit().await.map_err(store_error)?;
    Ok(response)
}

/// `POST /oauth/revoke` (RFC 7009): the token's family is revoked, and the
/// grant at Fanvue with it, with Fanvue's own refresh token. `200` for a
/// token it does not know, as §2.2 says.
pub(super) async fn revoke(
    State(server): State<AuthorizationServer>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    }
    let Ok(form) = Form::parse(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "a parameter is given twice",
        );
    };
    let client = match server.authenticate_client(&headers, &form).await {
        Ok(client) => client,
        Err(refused) => return refused,
    };
    let Some(token) = form.get("token") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the token is missing",
        );
    };
    let row = server
        .0
        .store
        .db()
        .fetch_optional(
            "SELECT family, grant_key, client_id FROM fanvue_mcp_tokens WHERE token_hash = ?",
            &[Value::Bytes(&hashed(token))],
        )
        .await;
    let row = match row {
        Ok(row) => row,
        Err(_) => return unavailable("the server's store is unavailable"),
    };
    if let Some(row) = row {
        let (Ok(family), Ok(grant_key), Ok(owner)) = (
            row.text("family"),
            row.text("grant_key"),
            row.text("client_id"),
        ) else {
            return unavailable("the server's store is unavailable");
        };
        if owner != client.id {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                "the token was issued to another client",
            );
        }
        if server.revoke_family(&family).await.is_err() {
            return unavailable("the server's store is unavailable");
        }
        // At Fanvue with Fanvue's token, never this server's.
        match server.0.store.sign_out(&grant_key).await {
            Ok(()) | Err(GrantError::SignInAgain { .. }) => {}
            Err(_) => return unavailable("Fanvue could not be reached to end the grant there"),
        }
    }
    ([(CACHE_CONTROL, "no-store")], StatusCode::OK).into_response()
}

/// The authentication in front of the MCP endpoint, as axum middleware:
/// `from_fn_with_state(authorization_server, mcp::auth::authenticate)`,
/// outside `mcp::guard`.
///
/// A token of this server's for this resource puts its scopes on the
/// request as [`Granted`] and the user's Fanvue token as [`FanvueAccess`];
/// an unknown, expired or revoked one, or one whose Fanvue grant has ended,
/// is `401 invalid_token` naming the metadata; none at all goes on to the
/// guard, whose `401` names where to start. Fanvue or the store unavailable
/// is `503`, and revokes nothing.
pub async fn authenticate(
    State(server): State<AuthorizationServer>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = match crate::axum::bearer_token(request.headers()) {
        Ok(token) => token.to_owned(),
        Err(crate::bearer::BearerError::Missing) => return next.run(request).await,
        Err(crate::bearer::BearerError::InvalidToken) => return server.invalid_token(),
        Err(refused) => return refused.into_response(),
    };
    let access = match server.access(&token).await {
        Ok(Some(access)) => access,
        Ok(None) => return server.invalid_token(),
        Err(_) => return unavailable("the server's store is unavailable"),
    };
    let fanvue = match server.0.store.token(&access.grant_key).await {
        Ok(token) => token,
        Err(GrantError::SignInAgain { .. }) => {
            let _ = server.revoke_family(&access.family).await;
            return server.invalid_token();
        }
        Err(error) if error.is_transient() => {
            return unavailable("Fanvue or the store is unavailable; try again");
        }
        Err(_) => {
            return oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the Fanvue grant can't be read",
            );
        }
    };
    let granted = access.scopes & fanvue.scopes();
    request.extensions_mut().insert(Granted(granted));
    request
        .extensions_mut()
        .insert(FanvueAccess { token: fanvue });
    next.run(request).await
}
