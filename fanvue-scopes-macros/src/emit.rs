//! How generated code is written: the paths it reaches `fanvue-scopes`'s
//! items by, the const expressions of scope sets, and the enum and accessor shapes the generators share.
//! Every expander writes these through here, so each is written one way.

use crate::input::crate_path::CratePath;
use crate::input::decl::EnumDecl;
use crate::model::catalog::{self, Endpoint, Scope};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

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

/// The declared enum, `#[non_exhaustive]` and `#[repr(u8)]`, with one
/// documented variant per entry numbered from 0 in file order: the
/// discriminant is the entry's bit in a mask, or its index in `ALL`.
pub fn numbered_enum(
    decl: &EnumDecl,
    extra_attrs: TokenStream,
    variants: &[Ident],
    variant_attrs: impl IntoIterator<Item = TokenStream>,
) -> TokenStream {
    let EnumDecl { attrs, vis, ident } = decl;
    let variant_attrs = variant_attrs.into_iter();
    let discriminants = (0..variants.len()).map(|index| index as u8);
    quote! {
        #(#attrs)*
        #extra_attrs
        #[non_exhaustive]
        #[repr(u8)]
        #vis enum #ident {
            #(
                #variant_attrs
                #variants = #discriminants,
            )*
        }
    }
}

/// `pub const fn name(self) -> ty`, documented: one match arm per variant,
/// each returning its value.
pub fn const_accessor<V: quote::ToTokens>(
    doc: &str,
    name: &str,
    ty: TokenStream,
    enum_ident: &Ident,
    variants: &[Ident],
    values: impl IntoIterator<Item = V>,
) -> TokenStream {
    let name = format_ident!("{}", name);
    let values = values.into_iter();
    quote! {
        #[doc = #doc]
        pub const fn #name(self) -> #ty {
            match self {
                #(#enum_ident::#variants => #values,)*
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! What the runtime's contract (`fanvue_scopes::__private`) expects the
    //! emitted code to call, pinned token by token.

    use super::*;
    use crate::model::load;

    #[test]
    fn emitted_code_calls_what_the_runtime_contract_lists() {
        let catalog = load::get().expect("the embedded scopes.toml is valid");
        let krate = CratePath::default();
        let scopes: Vec<&Scope> = catalog.scopes.iter().take(2).collect();
        assert_eq!(
            scope_set(&krate, &scopes).to_string(),
            ":: fanvue_scopes :: ScopeSet :: from_bits_truncate (3u64)"
        );
        assert_eq!(
            scope_path(&krate, scopes[0]).to_string(),
            ":: fanvue_scopes :: Scope :: ReadSelf"
        );
    }
}
