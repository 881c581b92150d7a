//! `guarded!(handler)` and `requirement_of!(handler)`: a handler with its
//! route companion, and its requirement, by the handler's path.

use crate::emit;
use crate::input::handler_path::HandlerInput;
use proc_macro2::TokenStream;
use quote::quote;

/// `requirement_of!(handler)`: the handler's `Requirement`, in `const`.
pub fn requirement_of(input: HandlerInput) -> syn::Result<TokenStream> {
    let companion = emit::companion(&input.companion()?);
    Ok(quote!(*#companion))
}

/// `guarded!(handler)`: the handler with its route companion, for a router.
pub fn guarded(input: HandlerInput) -> syn::Result<TokenStream> {
    let companion = emit::companion(&input.companion()?);
    let krate = &input.krate;
    let handler = &input.handler;
    Ok(quote!(#krate::Guarded::__new(#handler, #companion)))
}
