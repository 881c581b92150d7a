//! The grant store's calls to Fanvue's authorization server: a refresh
//! (RFC 6749 §6) and a revocation (RFC 7009), made with the `oauth2` crate
//! over the app's reqwest client, and each answer sorted into what it means
//! for the grant: renewed, dead, or not known yet.

use super::Grant;
use crate::ScopeSet;
use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
#[cfg(feature = "mcp-auth")]
use oauth2::{AuthorizationCode, PkceCodeVerifier, RedirectUrl};
use oauth2::{
    ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, HttpRequest, HttpResponse,
    RefreshToken, RequestTokenError, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use std::fmt;

/// A token response's `id_token`, which OpenID Connect adds.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub(crate) struct IdToken {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id_token: Option<String>,
}

impl oauth2::ExtraTokenFields for IdToken {}

/// Fanvue's token response.
pub(crate) type FanvueTokenResponse = StandardTokenResponse<IdToken, BasicTokenType>;

/// The `oauth2` crate's client for Fanvue, before its endpoints are set.
type Unset = oauth2::Client<
    BasicErrorResponse,
    FanvueTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
>;

type Oauth = oauth2::Client<
    BasicErrorResponse,
    FanvueTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The app as a client of Fanvue's authorization server, for the grant
/// store's refreshes and revocations: its credentials, Fanvue's token and
/// revocation endpoints, and the app's HTTP client.
///
/// Give it a reqwest client built as for any call to Fanvue: TLS, and a
/// timeout shorter than the store's wait for a refresh
/// ([`GrantStoreBuilder::wait`](super::GrantStoreBuilder::wait)), and no
/// redirects to follow.
#[derive(Clone)]
pub struct FanvueClient {
    oauth: Oauth,
    client_secret: ClientSecret,
    revocation_url: Option<String>,
    http: Http,
}

impl fmt::Debug for FanvueClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the secret.
        f.debug_struct("FanvueClient")
            .field("client_id", &self.oauth.client_id().as_str())
            .field("token_url", &self.oauth.token_uri().map(|url| url.as_str()))
            .finish_non_exhaustive()
    }
}

/// Fanvue's RFC 7009 revocation endpoint, beside its token endpoint, as
/// Ory Hydra serves them.
fn fanvue_revocation_url() -> String {
    let token = crate::oauth::TOKEN_URL;
    match token.rsplit_once('/') {
        Some((base, _)) => format!("{base}/revoke"),
        None => token.to_owned(),
    }
}

impl FanvueClient {
    /// The app registered in the Fanvue developer area as `client_id`, at
    /// Fanvue's endpoints (`oauth::TOKEN_URL` and the revocation endpoint
    /// beside it).
    pub fn new(client_id: &str, client_secret: &str, http: reqwest::Client) -> Self {
        // Both are `scopes.toml`'s https URLs, which the macros checked
        // parse; were one not to, every refresh would say so.
        FanvueClient {
            oauth: Unset::new(ClientId::new(client_id.to_owned()))
                .set_client_secret(ClientSecret::new(client_secret.to_owned()))
                .set_token_uri_option(TokenUrl::new(crate::oauth::TOKEN_URL.to_owned()).ok())
                .set_revocation_url_option(None),
            client_secret: ClientSecret::new(client_secret.to_owned()),
            revocation_url: Some(fanvue_revocation_url()),
            http: Http(http),
        }
    }

    /// Another authorization server's endpoints: a stand-in's, in tests
    /// (`StandIn::token_url`, `StandIn::revocation_url`).
    pub fn with_endpoints(
        mut self,
        token_url: &str,
        revocation_url: &str,
    ) -> Result<Self, oauth2::url::ParseError> {
        self.oauth = self
            .oauth
            .set_token_uri_option(Some(TokenUrl::new(token_url.to_owned())?));
        self.revocation_url = Some(oauth2::url::Url::parse(revocation_url)?.to_string());
        Ok(self)
    }

    /// The app's client id at Fanvue.
    #[cfg(feature = "mcp-auth")]
    pub(crate) fn client_id(&self) -> &str {
        self.oauth.client_id().as_str()
    }

    /// Exchanges an authorization code (RFC 6749 §4.1.3) with its PKCE
    /// verifier, for the redirect URI it was asked with.
    #[cfg(feature = "mcp-auth")]
    pub(crate) async fn exchange_code(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
        now: u64,
    ) -> Refreshed {
        let redirect = match RedirectUrl::new(redirect_uri.to_owned()) {
            Ok(redirect) => redirect,
            Err(error) => return Refreshed::Refused(error.to_string()),
        };
        let request = match self
            .oauth
            .exchange_code(AuthorizationCode::new(code.to_owned()))
        {
            Ok(request) => request
                .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
                .set_redirect_uri(std::borrow::Cow::Owned(redirect)),
            Err(error) => return Refreshed::Refused(error.to_string()),
        };
        let answer = request.request_async(&self.http).await;
        sorted(answer, now, |grant| grant)
    }

    /// Refreshes with `refresh_token`, for a grant that held `scopes`.
    pub(crate) async fn refresh(
        &self,
        refresh_token: &str,
        scopes: ScopeSet,
        now: u64,
    ) -> Refreshed {
        let token = RefreshToken::new(refresh_token.to_owned());
        let request = match self.oauth.exchange_refresh_token(&token) {
            Ok(request) => request,
            Err(error) => return Refreshed::Refused(error.to_string()),
        };
        let answer = request.request_async(&self.http).await;
        sorted(answer, now, |mut grant| {
            // A refresh may leave out what did not change (RFC 6749 §5.1,
            // §6): the scopes, the refresh token.
            if grant.scopes.is_empty() {
                grant.scopes = scopes;
            }
            if grant.refresh_token.is_none() {
                grant.refresh_token = Some(refresh_token.to_owned());
            }
            grant
        })
    }

    /// Revokes `token` at Fanvue (RFC 7009): a refresh token, which ends
    /// the whole grant there, or an access token. Made by hand, not with
    /// the `oauth2` crate, which takes only an https endpoint, so a
    /// stand-in on loopback could not be asked.
    pub(crate) async fn revoke(&self, token: &str, hint: &str) -> Result<(), Revocation> {
        let Some(url) = self.revocation_url.as_deref() else {
            return Err(Revocation::Refused(
                "no revocation endpoint is configured".to_owned(),
            ));
        };
        let encode = |text: &str| -> String {
            url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
        };
        let body = format!("token={}&token_type_hint={hint}", encode(token));
        let response = self
            .http
            .0
            .post(url)
            // Form-encoded, as RFC 6749 §2.3.1 says and Hydra decodes them.
            .basic_auth(
                encode(self.oauth.client_id().as_str()),
                Some(encode(self.client_secret.secret())),
            )
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|error| Revocation::Transient(Unanswered::Http(error).to_string()))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            Err(Revocation::Transient(
                Unanswered::Status(status.as_u16()).to_string(),
            ))
        } else {
            let said = response.text().await.unwrap_or_default();
            Err(Revocation::Refused(format!(
                "Fanvue answered {status}: {}",
                crate::error::Shown(&said)
            )))
        }
    }
}

/// A token request's answer, sorted: new tokens (`completed` fills in
/// what the response left out), a dead grant, a refusal of the app, or no
/// answer.
fn sorted(
    answer: Result<FanvueTokenResponse, RequestTokenError<Unanswered, BasicErrorResponse>>,
    now: u64,
    completed: impl FnOnce(Grant) -> Grant,
) -> Refreshed {
    match answer {
        Ok(response) => {
            let mut grant = Grant::from_oauth2_at(&response, now);
            if let Some(id_token) = &response.extra_fields().id_token {
                grant.subject = super::subject_of(id_token).ok();
            }
            if response.scopes().is_none() {
                grant.scopes = crate::ScopeSet::EMPTY;
            }
            Refreshed::Renewed(completed(grant))
        }
        Err(RequestTokenError::ServerResponse(error)) => {
            let said = match error.error_description() {
                Some(description) => format!("{}: {description}", error.error()),
                None => error.error().to_string(),
            };
            if *error.error() == BasicErrorResponseType::InvalidGrant {
                Refreshed::Dead(said)
            } else {
                Refreshed::Refused(said)
            }
        }
        Err(RequestTokenError::Request(error)) => Refreshed::Transient(error.to_string()),
        Err(RequestTokenError::Parse(_, _)) => {
            Refreshed::Transient("Fanvue's token response could not be read".to_owned())
        }
        Err(RequestTokenError::Other(said)) => Refreshed::Transient(said),
    }
}

/// What a refresh came to.
pub(crate) enum Refreshed {
    /// New tokens.
    Renewed(Grant),
    /// `invalid_grant`: the grant is over; the user signs in again.
    Dead(String),
    /// Another refusal (`invalid_client`, say): the app's registration is
    /// wrong, and the grant may still be good.
    Refused(String),
    /// No answer, a timeout, a `5xx` or a `429`: try again later.
    Transient(String),
}

/// Why a revocation did not go through.
pub(crate) enum Revocation {
    Refused(String),
    Transient(String),
}

/// The app's HTTP client, as the `oauth2` crate's: a named type, whose
/// futures are `Send` for every borrow, as a closure's can't be shown to be.
#[derive(Clone)]
struct Http(reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for Http {
    type Error = Unanswered;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<HttpResponse, Unanswered>> + Send + 'c>,
    >;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(&self.0, request))
    }
}

/// An HTTP exchange the `oauth2` crate asked for, over the app's client. A
/// `5xx` or `429` is no answer about the grant: an error, so it is never
/// read as one.
async fn send(http: &reqwest::Client, request: HttpRequest) -> Result<HttpResponse, Unanswered> {
    let request = reqwest::Request::try_from(request).map_err(Unanswered::Http)?;
    let response = http.execute(request).await.map_err(Unanswered::Http)?;
    let status = response.status();
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(Unanswered::Status(status.as_u16()));
    }
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(Unanswered::Http)?;
    let mut answer = HttpResponse::new(body.to_vec());
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    Ok(answer)
}

/// Fanvue gave no answer about the grant.
#[derive(Debug)]
enum Unanswered {
    Http(reqwest::Error),
    Status(u16),
}

impl fmt::Display for Unanswered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unanswered::Http(error) if error.is_timeout() => {
                f.write_str("Fanvue did not answer in time")
            }
            Unanswered::Http(error) => write!(f, "Fanvue could not be reached: {error}"),
            Unanswered::Status(status) => write!(f, "Fanvue answered {status}"),
        }
    }
}

impl std::error::Error for Unanswered {}
