//! `scope!(..)` and `scopes![..]`: checked names to `Scope` and `ScopeSet`.

use crate::catalog::Scope;
use crate::scope_name::{self, Errors, ScopeName};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Token;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;

pub fn scope(input: TokenStream) -> TokenStream {
    let expand = || -> syn::Result<TokenStream> {
        let catalog = scope_name::catalog(Span::call_site())?;
        let name = (|input: ParseStream| {
            let name = ScopeName::parse(input)?;
            if !input.is_empty() {
                return Err(
                    input.error("`scope!` takes one scope name; write `scopes![..]` for a set")
                );
            }
            Ok(name)
        })
        .parse2(input)?;
        Ok(scope_path(name.resolve(catalog)?))
    };
    expand().unwrap_or_else(syn::Error::into_compile_error)
}

pub fn scopes(input: TokenStream) -> TokenStream {
    let expand = || -> syn::Result<TokenStream> {
        let catalog = scope_name::catalog(Span::call_site())?;
        let names = (|input: ParseStream| {
            Punctuated::<ScopeName, Token![,]>::parse_terminated_with(input, ScopeName::parse)
        })
        .parse2(input)?;
        let names: Vec<ScopeName> = names.into_iter().collect();
        let mut errors = Errors::default();
        let scopes = scope_name::resolve_all(&names, catalog, &mut errors);
        errors.finish()?;
        Ok(scope_set(&scopes))
    };
    expand().unwrap_or_else(syn::Error::into_compile_error)
}

/// `::fanvue_scopes::Scope::ReadChat`
pub fn scope_path(scope: &Scope) -> TokenStream {
    let variant = format_ident!("{}", scope.variant);
    quote!(::fanvue_scopes::Scope::#variant)
}

/// A const expression for the set of `scopes`.
pub fn scope_set(scopes: &[&Scope]) -> TokenStream {
    let scopes = scopes.iter().map(|scope| scope_path(scope));
    quote!(::fanvue_scopes::ScopeSet::from_scopes(&[#(#scopes),*]))
}
