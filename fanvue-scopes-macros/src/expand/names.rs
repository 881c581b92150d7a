//! `scope!(..)` and `scopes![..]`: checked names to `Scope` and `ScopeSet`;
//! `endpoint!(GET "/chats")`: a checked endpoint to `Endpoint`.

use crate::emit::{endpoint_path, scope_path, scope_set};
use crate::input::crate_path::CratePath;
use crate::input::endpoint_ref::EndpointRef;
use crate::input::errors::Errors;
use crate::input::scope_name::{self, ScopeName};
use crate::model::load;
use proc_macro2::{Span, TokenStream};
use syn::Token;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;

/// `$crate; read:chat`
pub struct ScopeInput {
    krate: CratePath,
    name: ScopeName,
}

impl Parse for ScopeInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let krate = input.parse()?;
        let name = ScopeName::parse(input)?;
        if !input.is_empty() {
            return Err(input.error("`scope!` takes one scope name; write `scopes![..]` for a set"));
        }
        Ok(ScopeInput { krate, name })
    }
}

/// `$crate; read:chat, write:chat`
pub struct ScopesInput {
    krate: CratePath,
    names: Vec<ScopeName>,
}

impl Parse for ScopesInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let krate = input.parse()?;
        let names =
            Punctuated::<ScopeName, Token![,]>::parse_terminated_with(input, ScopeName::parse)?;
        Ok(ScopesInput {
            krate,
            names: names.into_iter().collect(),
        })
    }
}

pub fn scope(input: ScopeInput) -> syn::Result<TokenStream> {
    let catalog = load::catalog(Span::call_site())?;
    Ok(scope_path(&input.krate, input.name.resolve(catalog)?))
}

pub fn scopes(input: ScopesInput) -> syn::Result<TokenStream> {
    let catalog = load::catalog(Span::call_site())?;
    let mut errors = Errors::default();
    let scopes = scope_name::resolve_all(&input.names, catalog, &mut errors);
    errors.finish(scope_set(&input.krate, &scopes))
}

/// `$crate; GET "/chats"`
pub struct EndpointInput {
    krate: CratePath,
    endpoint: EndpointRef,
}

impl Parse for EndpointInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let krate = input.parse()?;
        let endpoint = EndpointRef::parse(input)?;
        if !input.is_empty() {
            return Err(
                input.error("`endpoint!` takes one endpoint, such as `endpoint!(GET \"/chats\")`")
            );
        }
        Ok(EndpointInput { krate, endpoint })
    }
}

pub fn endpoint(input: EndpointInput) -> syn::Result<TokenStream> {
    let catalog = load::catalog(Span::call_site())?;
    Ok(endpoint_path(
        &input.krate,
        input.endpoint.resolve(catalog)?,
    ))
}
