//! Procedural macros for [`fanvue-scopes`](https://docs.rs/fanvue-scopes).
//!
//! Use them through the `fanvue-scopes` crate, which re-exports and
//! documents them (see [`requires`] there):
//! `#[requires(..)]` guards a handler, `scope!(..)` names one scope and
//! `scopes![..]` builds a `ScopeSet`, all checked at compile time against
//! the `scopes.toml` this crate was built with.
//!
//! A one-way pipeline, each stage using only those before it:
//!
//! - `model`: what `scopes.toml` says.
//!   - `template`: endpoint path templates, parsed once, and which one a
//!     concrete path is an instance of;
//!   - `catalog`: the validated model (scopes, resources, the OAuth table,
//!     endpoints) and look-ups with suggestions;
//!   - `scope_file`: the file's bytes to a raw, spanned model, and errors
//!     rendered as `scopes.toml:line:column`;
//!   - `validate`: the raw model to the catalog, one check per kind of entry;
//!   - `load`: the embedded file read once per compiler process, and a
//!     broken file as errors at the macro call.
//! - `input`: macro input as users write it.
//!   - `errors`: errors collected over one input, reported together;
//!   - `crate_path`: the path generated code reaches `fanvue-scopes` by;
//!   - `scope_name`, `endpoint_ref`: scope names and endpoints,
//!     resolved against the catalog;
//!   - `decl`: the enum declarations the hidden generators complete.
//! - `emit`: how generated code is written (paths to runtime items, scope
//!   sets as const masks, enum and accessor shapes).
//!   The runtime side of this contract is `fanvue_scopes::__private`'s
//!   module docs, item by item.
//! - `expand`: one expander per macro family: `requires`, `names`
//!   (`scope!`, `scopes!`, `endpoint!`), and the generators `catalog` and
//!   `endpoints`.
//!
//! Every expander returns `syn::Result`; this file turns errors into
//! `compile_error!`s, in one place.
#![forbid(unsafe_code)]

mod emit;
mod expand;
mod input;
mod model;

use proc_macro::TokenStream;
use syn::parse::Parse;

/// Parses `input` as `T` and expands it, or reports the errors.
fn expand<T: Parse>(
    input: TokenStream,
    expand: impl FnOnce(T) -> syn::Result<proc_macro2::TokenStream>,
) -> TokenStream {
    syn::parse::<T>(input)
        .and_then(expand)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

// Guards a handler fn with the scopes its caller must have been granted.
// No doc comment: `fanvue-scopes` re-exports this with the whole
// documentation, and rustdoc would append a second summary to it.
#[proc_macro_attribute]
pub fn requires(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    match expand::requires::requires(args.into(), item.clone()) {
        Ok(expanded) => expanded.into(),
        // Keep the fn as written, so that the only errors are ours, not
        // "cannot find fn" at its callers.
        Err(error) => {
            let error = error.into_compile_error();
            quote::quote!(#error #[allow(unused)] #item).into()
        }
    }
}

/// One scope, checked at compile time: `scope!(read:chat)` is
/// `Scope::ReadChat`. Called through the `fanvue_scopes::scope!` shim.
#[doc(hidden)]
#[proc_macro]
pub fn scope(input: TokenStream) -> TokenStream {
    expand(input, expand::names::scope)
}

/// A `ScopeSet` usable in `const`, checked at compile time:
/// `scopes![read:chat, write:chat]`. Called through the
/// `fanvue_scopes::scopes!` shim.
#[doc(hidden)]
#[proc_macro]
pub fn scopes(input: TokenStream) -> TokenStream {
    expand(input, expand::names::scopes)
}

/// One endpoint, checked at compile time: `endpoint!(GET "/chats")` is
/// `Endpoint::ListChats`. Called through the `fanvue_scopes::endpoint!` shim.
#[doc(hidden)]
#[proc_macro]
pub fn endpoint(input: TokenStream) -> TokenStream {
    expand(input, expand::names::endpoint)
}

/// Generates `Scope` and `Resource` from `scopes.toml`. Only `fanvue-scopes`
/// calls this, once.
#[doc(hidden)]
#[proc_macro]
pub fn __generate_catalog(input: TokenStream) -> TokenStream {
    expand(input, expand::catalog::generate_catalog)
}

/// Generates the OAuth endpoint consts and `ProtocolScope` from the
/// `[oauth]` table. Only `fanvue-scopes` calls this, once.
#[doc(hidden)]
#[proc_macro]
pub fn __generate_oauth(input: TokenStream) -> TokenStream {
    expand(input, expand::catalog::generate_oauth)
}

/// Generates `Endpoint`, `API_VERSION` and the route tree from the
/// `[[endpoint]]` entries. Only `fanvue-scopes` calls this, once.
#[doc(hidden)]
#[proc_macro]
pub fn __generate_endpoints(input: TokenStream) -> TokenStream {
    expand(input, expand::endpoints::generate_endpoints)
}

/// The scope table of `scopes.toml` as Markdown, for the crate docs.
#[doc(hidden)]
#[proc_macro]
pub fn __scope_table(input: TokenStream) -> TokenStream {
    expand(input, expand::catalog::scope_table)
}
