//! `#[attrs] pub enum Name;`: what `fanvue-scopes` writes by hand of an
//! enum the hidden generator macros complete.

use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, Token, Visibility};

/// `#[attrs] pub enum Name;`: the hand-written part of a generated enum.
pub struct EnumDecl {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
}

impl Parse for EnumDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        input.parse::<Token![enum]>()?;
        let ident = input.parse()?;
        input.parse::<Token![;]>()?;
        Ok(EnumDecl { attrs, vis, ident })
    }
}
