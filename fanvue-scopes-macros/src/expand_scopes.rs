//! `scope!(..)` and `scopes![..]`: checked names to `Scope` and `ScopeSet`;
//! `endpoint!(GET "/chats")`: a checked endpoint to `Endpoint`;
//! `requirement_of!(handler)` and `guarded!(handler)`: a handler's route
//! companion, by the handler's path.

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

/// `$crate; path::to::handler`, as `guarded!` and `requirement_of!` take it.
pub struct HandlerInput {
    krate: CratePath,
    handler: syn::ExprPath,
}

impl Parse for HandlerInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let krate = input.parse()?;
        let handler = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected the path of a `#[requires]` handler fn, such as `list_chats`, \
                 `routes::list_chats` or `Chats::list`",
            )
        })?;
        if !input.is_empty() {
            return Err(input.error("expected the path of one `#[requires]` handler fn"));
        }
        Ok(HandlerInput { krate, handler })
    }
}

impl HandlerInput {
    /// The handler's route companion, a `&'static Requirement`: a free
    /// fn's is read through the type alias of the same name (which any
    /// `use` of the fn imports too); an associated fn's is the const beside
    /// it in the `impl`. A path is to an associated fn when the segment before the
    /// fn is `Self`, has generic arguments, or is capitalised as types are.
    fn companion(&self) -> syn::Result<TokenStream> {
        let syn::ExprPath { qself, path, .. } = &self.handler;
        if qself.is_some() {
            return Err(syn::Error::new_spanned(
                &self.handler,
                "a `<T as Trait>::f` path names a trait's fn, which can't be a guarded route \
                 handler; name a free fn, or an associated fn of an inherent impl (`Chats::list`)",
            ));
        }
        let mut path = path.clone();
        let Some(mut last) = path.segments.pop() else {
            return Err(syn::Error::new_spanned(
                &self.handler,
                "expected a handler's path",
            ));
        };
        // The companion is not generic: `list::<Db>` and `list` share it.
        last.arguments = syn::PathArguments::None;
        let in_impl = path.segments.last().is_some_and(|owner| {
            let name = owner.ident.to_string();
            name == "Self"
                || !owner.arguments.is_none()
                || name.starts_with(|c: char| c.is_ascii_uppercase())
        });
        Ok(if in_impl {
            let companion = crate::expand_requires::companion_name(&last.ident);
            quote!(#path #companion)
        } else {
            path.segments.push(last);
            quote!(<#path>::REQUIREMENT)
        })
    }
}

/// `requirement_of!(handler)`: the handler's `Requirement`, in `const`.
pub fn requirement_of(input: HandlerInput) -> syn::Result<TokenStream> {
    let companion = input.companion()?;
    Ok(quote!(*#companion))
}

/// `guarded!(handler)`: the handler with its route companion, for a router.
pub fn guarded(input: HandlerInput) -> syn::Result<TokenStream> {
    let companion = input.companion()?;
    let krate = &input.krate;
    let handler = &input.handler;
    Ok(quote!(#krate::Guarded::__new(#handler, #companion)))
}
