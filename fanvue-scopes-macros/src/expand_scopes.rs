//! `scope!(..)` and `scopes![..]`: checked names to `Scope` and `ScopeSet`;
//! `endpoint!(GET "/chats")`: a checked endpoint to `Endpoint`;
//! `requirement_of!(handler)`: a handler's requirement, by its path.

use crate::catalog::{self, Endpoint, Scope};
use crate::crate_path::CratePath;
use crate::diagnostics::{self, Errors};
use crate::endpoint_ref::EndpointRef;
use crate::scope_name::{self, ScopeName};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
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
    let catalog = diagnostics::catalog(Span::call_site())?;
    Ok(scope_path(&input.krate, input.name.resolve(catalog)?))
}

pub fn scopes(input: ScopesInput) -> syn::Result<TokenStream> {
    let catalog = diagnostics::catalog(Span::call_site())?;
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
    let catalog = diagnostics::catalog(Span::call_site())?;
    Ok(endpoint_path(
        &input.krate,
        input.endpoint.resolve(catalog)?,
    ))
}

/// `$crate::Endpoint::ListChats`
pub fn endpoint_path(krate: &CratePath, endpoint: &Endpoint) -> TokenStream {
    let variant = format_ident!("{}", endpoint.variant);
    quote!(#krate::Endpoint::#variant)
}

/// `$crate::Scope::ReadChat`
pub fn scope_path(krate: &CratePath, scope: &Scope) -> TokenStream {
    let variant = format_ident!("{}", scope.variant);
    quote!(#krate::Scope::#variant)
}

/// A const expression for the set of `scopes`: its mask as one literal,
/// which costs the compiler less, per `#[requires]`, than a list of paths
/// to fold. The bits are the catalog's, from which `Scope` was generated.
pub fn scope_set(krate: &CratePath, scopes: &[&Scope]) -> TokenStream {
    let bits = catalog::mask(scopes.iter().map(|scope| scope.index));
    quote!(#krate::ScopeSet::from_bits_truncate(#bits))
}

/// `$crate; path::to::handler`
pub struct RequirementOfInput {
    handler: syn::Path,
}

impl Parse for RequirementOfInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let _: CratePath = input.parse()?;
        let handler = input.call(syn::Path::parse_mod_style)?;
        if !input.is_empty() {
            return Err(
                input.error("`requirement_of!` takes the path of one `#[requires]` handler")
            );
        }
        Ok(RequirementOfInput { handler })
    }
}

/// The route companion `#[requires]` defined next to the handler.
pub fn requirement_of(input: RequirementOfInput) -> syn::Result<TokenStream> {
    let mut path = input.handler;
    if let Some(last) = path.segments.last_mut() {
        last.ident = crate::expand_requires::companion_name(&last.ident);
    }
    Ok(quote!(#path))
}
