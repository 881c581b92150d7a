//! The `Scope` and `Resource` enums of `fanvue-scopes`, generated from the
//! catalog, with a doc line per variant and the scope table in the docs.

use crate::catalog::{Catalog, Scope};
use crate::scope_name;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream, Parser};
use syn::{Attribute, Ident, Token, Visibility};

/// `#[attrs] pub enum Name;`: the hand-written part of a generated enum.
struct EnumDecl {
    attrs: Vec<Attribute>,
    vis: Visibility,
    ident: Ident,
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

pub fn expand(input: TokenStream) -> TokenStream {
    let expand = || -> syn::Result<TokenStream> {
        let catalog = scope_name::catalog(Span::call_site())?;
        let (scope, resource) =
            (|input: ParseStream| Ok((input.parse::<EnumDecl>()?, input.parse::<EnumDecl>()?)))
                .parse2(input)?;
        Ok(generate(catalog, &scope, &resource))
    };
    expand().unwrap_or_else(syn::Error::into_compile_error)
}

pub fn scope_table(input: TokenStream) -> TokenStream {
    let expand = || -> syn::Result<TokenStream> {
        let catalog = scope_name::catalog(Span::call_site())?;
        Parser::parse2(
            |input: ParseStream| input.parse::<syn::parse::Nothing>(),
            input,
        )?;
        let table = markdown_table(catalog);
        Ok(quote!(#table))
    };
    expand().unwrap_or_else(syn::Error::into_compile_error)
}

/// The scope table in Markdown, linking each scope to its variant.
pub fn markdown_table(catalog: &Catalog) -> String {
    let mut table = String::from("| Resource | Scope | What it grants |\n|---|---|---|\n");
    for scope in &catalog.scopes {
        table += &format!(
            "| {} | [`{}`](crate::Scope::{}) | {} |\n",
            catalog.resource_of(scope).name,
            scope.name,
            scope.variant,
            scope.description.replace('|', "\\|"),
        );
    }
    table
}

fn generate(catalog: &Catalog, scope: &EnumDecl, resource: &EnumDecl) -> TokenStream {
    let scope_enum = &scope.ident;
    let resource_enum = &resource.ident;
    let table = markdown_table(catalog);
    let scope_docs: Vec<String> = catalog
        .scopes
        .iter()
        .map(|scope| {
            format!(
                "`{}` ({}): {}",
                scope.name,
                catalog.resource_of(scope).name,
                scope.description
            )
        })
        .collect();
    let scope_items = scope_enum_items(scope, &catalog.scopes, &scope_docs, &table);
    let scope_variants = catalog
        .scopes
        .iter()
        .map(|scope| format_ident!("{}", scope.variant));
    let scope_resources = catalog
        .scopes
        .iter()
        .map(|scope| format_ident!("{}", catalog.resource_of(scope).variant));

    let EnumDecl {
        attrs: resource_attrs,
        vis: resource_vis,
        ..
    } = resource;
    let resource_count = catalog.resources.len();
    let resource_variants: Vec<Ident> = catalog
        .resources
        .iter()
        .map(|resource| format_ident!("{}", resource.variant))
        .collect();
    let resource_names = catalog.resources.iter().map(|resource| &resource.name);
    let resource_docs = catalog.resources.iter().map(|resource| {
        let scopes: Vec<String> = resource
            .scopes
            .iter()
            .map(|&index| format!("`{}`", catalog.scopes[index].name))
            .collect();
        format!("{}: {}", resource.name, scopes.join(", "))
    });
    let resource_scopes = catalog.resources.iter().map(|resource| {
        let variants = resource
            .scopes
            .iter()
            .map(|&index| format_ident!("{}", catalog.scopes[index].variant));
        quote!(crate::ScopeSet::from_scopes(&[#(#scope_enum::#variants),*]))
    });

    quote! {
        #scope_items

        impl #scope_enum {
            /// The resource this scope belongs to.
            pub const fn resource(self) -> #resource_enum {
                match self {
                    #(#scope_enum::#scope_variants => #resource_enum::#scope_resources,)*
                }
            }
        }

        #(#resource_attrs)*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        #[non_exhaustive]
        #resource_vis enum #resource_enum {
            #(
                #[doc = #resource_docs]
                #resource_variants,
            )*
        }

        impl #resource_enum {
            /// Every resource, in `scopes.toml` order.
            pub const ALL: [#resource_enum; #resource_count] = [#(#resource_enum::#resource_variants),*];

            /// The resource's name as Fanvue's scope table gives it, e.g. `"Tracking Links"`.
            pub const fn name(self) -> &'static str {
                match self {
                    #(#resource_enum::#resource_variants => #resource_names,)*
                }
            }

            /// The scopes of this resource.
            pub const fn scopes(self) -> crate::ScopeSet {
                match self {
                    #(#resource_enum::#resource_variants => #resource_scopes,)*
                }
            }
        }
    }
}

/// An enum of scope strings: one documented variant per scope, `ALL`,
/// `as_str`, `description`, an exact look-up by name, and `Display`/`Debug`
/// as the string.
fn scope_enum_items(
    decl: &EnumDecl,
    scopes: &[Scope],
    docs: &[String],
    extra_doc: &str,
) -> TokenStream {
    let EnumDecl { attrs, vis, ident } = decl;
    let count = scopes.len();
    let variants: Vec<Ident> = scopes
        .iter()
        .map(|scope| format_ident!("{}", scope.variant))
        .collect();
    let names = scopes.iter().map(|scope| &scope.name);
    let descriptions = scopes.iter().map(|scope| &scope.description);
    let discriminants = (0..count).map(|index| index as u8);
    // Byte-by-byte slice patterns compile to a decision tree, where string
    // literal patterns would be tried one `memcmp` after another.
    let name_patterns = scopes.iter().map(|scope| {
        let bytes = scope.name.bytes().map(proc_macro2::Literal::u8_suffixed);
        quote!([#(#bytes),*])
    });
    quote! {
        #(#attrs)*
        #[doc = ""]
        #[doc = #extra_doc]
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        #[repr(u8)]
        #vis enum #ident {
            #(
                #[doc = #docs]
                #variants = #discriminants,
            )*
        }

        impl #ident {
            /// Every one, in `scopes.toml` order.
            pub const ALL: [#ident; #count] = [#(#ident::#variants),*];

            /// The scope string, exactly as OAuth carries it, e.g. `"read:chat"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    #(#ident::#variants => #names,)*
                }
            }

            /// What a token with this scope may do.
            pub const fn description(self) -> &'static str {
                match self {
                    #(#ident::#variants => #descriptions,)*
                }
            }

            /// The scope with exactly this name; scope names are case-sensitive.
            pub(crate) fn from_name(name: &str) -> ::core::option::Option<Self> {
                match name.as_bytes() {
                    #(#name_patterns => ::core::option::Option::Some(#ident::#variants),)*
                    _ => ::core::option::Option::None,
                }
            }
        }

        impl ::core::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::core::fmt::Debug for #ident {
            /// The scope string, which says more in a log than the variant name.
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    }
}

/// The OAuth endpoints as consts, and the `ProtocolScope` enum.
pub fn expand_oauth(input: TokenStream) -> TokenStream {
    let expand = || -> syn::Result<TokenStream> {
        let catalog = scope_name::catalog(Span::call_site())?;
        let decl: EnumDecl = syn::parse2(input)?;
        let oauth = &catalog.oauth;
        let docs: Vec<String> = oauth
            .default_scopes
            .iter()
            .map(|scope| format!("`{}`: {}", scope.name, scope.description))
            .collect();
        let requested = oauth
            .default_scopes
            .iter()
            .map(|scope| format!("`{}`", scope.name))
            .collect::<Vec<_>>()
            .join(" ");
        let extra_doc = format!("Every authorize request asks for: {requested}.");
        let items = scope_enum_items(&decl, &oauth.default_scopes, &docs, &extra_doc);
        let (authorize, token, api) = (&oauth.authorize_url, &oauth.token_url, &oauth.api_base_url);
        let authorize_doc = format!("The authorization endpoint: `{authorize}`.");
        let token_doc = format!("The token endpoint: `{token}`.");
        let api_doc = format!("The API's base URL: `{api}`.");
        Ok(quote! {
            #[doc = #authorize_doc]
            pub const AUTHORIZE_URL: &str = #authorize;
            #[doc = #token_doc]
            pub const TOKEN_URL: &str = #token;
            #[doc = #api_doc]
            pub const API_BASE_URL: &str = #api;

            #items
        })
    };
    expand().unwrap_or_else(syn::Error::into_compile_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    const REAL: &str = include_str!("../scopes.toml");

    fn expand_with(source: &str) -> Result<String, String> {
        let catalog =
            Catalog::from_source("scopes.toml", source.as_bytes()).map_err(|e| e.to_string())?;
        let decls = quote!(pub enum Scope; pub enum Resource;);
        let (scope, resource) =
            (|input: ParseStream| Ok((input.parse::<EnumDecl>()?, input.parse::<EnumDecl>()?)))
                .parse2(decls)
                .map_err(|e| e.to_string())?;
        let file: syn::File =
            syn::parse2(generate(&catalog, &scope, &resource)).map_err(|e| e.to_string())?;
        Ok(quote!(#file).to_string())
    }

    #[test]
    fn adding_a_resource_is_one_edit_to_the_file() {
        let edited = format!(
            "{REAL}\n[[resource]]\nname = \"Vault Folders\"\n\n[[resource.scope]]\n\
             name = \"read:vault_folders\"\ndescription = \"Read vault folders.\"\n"
        );
        let before = expand_with(REAL);
        let after = expand_with(&edited);
        assert!(
            before
                .as_ref()
                .is_ok_and(|code| !code.contains("VaultFolders")),
            "{before:?}"
        );
        let after = after.unwrap_or_else(|error| error);
        assert!(
            after.contains("VaultFolders ,"),
            "the Resource variant is generated"
        );
        assert!(
            after.contains("ReadVaultFolders = 15u8"),
            "the Scope variant comes last"
        );
        assert!(after.contains("[Scope ; 16usize]"), "Scope::ALL grows");
        assert!(
            after.contains(
                "115u8] => :: core :: option :: Option :: Some (Scope :: ReadVaultFolders)"
            )
        );
        assert!(after.contains("| Vault Folders | [`read:vault_folders`](crate::Scope::ReadVaultFolders) | Read vault folders. |"));
    }

    #[test]
    fn a_broken_copy_reports_file_line_and_column() {
        let broken = REAL.replace("name = \"write:chat\"", "name = \"read:chat\"");
        let error = expand_with(&broken).err().unwrap_or_default();
        let line = REAL
            .lines()
            .position(|line| line == "name = \"write:chat\"")
            .map_or(0, |index| index + 1);
        assert!(
            error.starts_with(&format!(
                "scopes.toml:{line}:8: duplicate scope `read:chat` (first defined at scopes.toml:"
            )),
            "{error}"
        );
    }
}
