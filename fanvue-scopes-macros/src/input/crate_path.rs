//! The one path generated code reaches `fanvue-scopes` through, so that it
//! works when a user renames the dependency.
//!
//! The function-like macros are called through `macro_rules!` shims in
//! `fanvue-scopes` that pass `$crate` first, which always resolves. An
//! attribute can't be shimmed, so `#[requires]` takes `crate = path`, as
//! serde's `#[serde(crate = "..")]` does, and defaults to `::fanvue_scopes`.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::Token;
use syn::parse::{Parse, ParseStream};

#[derive(Clone)]
pub struct CratePath(TokenStream);

impl Default for CratePath {
    fn default() -> Self {
        CratePath(quote!(::fanvue_scopes))
    }
}

impl CratePath {
    /// `crate = path` in an attribute, after the `crate` keyword.
    /// Takes `crate = fvs` and, as serde writes it, `crate = "fvs"`.
    pub fn parse_assignment(input: ParseStream) -> syn::Result<Self> {
        input.parse::<Token![=]>()?;
        let path: syn::Path =
            if input.peek(syn::LitStr) {
                let literal: syn::LitStr = input.parse()?;
                literal.parse_with(syn::Path::parse_mod_style).map_err(|_| {
                syn::Error::new(
                    literal.span(),
                    format!(
                        "`crate = {:?}` is not a path; write the name your Cargo.toml gives \
                         fanvue-scopes, such as `crate = fvs` or `crate = \"fvs\"`",
                        literal.value()
                    ),
                )
            })?
            } else {
                input.call(syn::Path::parse_mod_style).map_err(|error| {
                    syn::Error::new(
                        error.span(),
                        "expected the path fanvue-scopes is known by, such as `crate = fvs` or \
                     `crate = \"fvs\"`",
                    )
                })?
            };
        Ok(CratePath(path.into_token_stream()))
    }
}

impl Parse for CratePath {
    /// `$crate;`, as a shim passes it: every token up to the `;`.
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut path = TokenStream::new();
        while !input.peek(Token![;]) {
            if input.is_empty() {
                return Err(
                    input.error("call this macro through `fanvue_scopes`, which re-exports it")
                );
            }
            path.extend([input.parse::<proc_macro2::TokenTree>()?]);
        }
        input.parse::<Token![;]>()?;
        Ok(CratePath(path))
    }
}

impl ToTokens for CratePath {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.0.to_tokens(tokens);
    }
}
