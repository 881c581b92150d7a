//! The hidden macros `fanvue-scopes` calls once each to generate its API
//! from the catalog: `Scope` and `Resource`, `ProtocolScope` and the OAuth
//! endpoints, and the scope table of the crate docs. The code they write
//! lives in `fanvue-scopes`, so it names that crate's items as `crate::`.

use crate::emit::{const_accessor, numbered_enum};
use crate::input::decl::EnumDecl;
use crate::model::catalog::{self, Catalog, Oauth};
use crate::model::load;
use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;
use syn::parse::{Parse, ParseStream};

/// The input of `__generate_catalog!`: the `Scope` and `Resource` declarations.
pub struct CatalogDecls {
    scope: EnumDecl,
    resource: EnumDecl,
}

impl Parse for CatalogDecls {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        Ok(CatalogDecls {
            scope: input.parse()?,
            resource: input.parse()?,
        })
    }
}

/// `__generate_catalog!`: `Scope` and `Resource` with their impls.
pub fn generate_catalog(decls: CatalogDecls) -> syn::Result<TokenStream> {
    let catalog = load::catalog(Span::call_site())?;
    Ok(catalog_items(catalog, &decls))
}

/// `__generate_oauth!`: the OAuth endpoints as consts, and `ProtocolScope`.
pub fn generate_oauth(decl: EnumDecl) -> syn::Result<TokenStream> {
    let catalog = load::catalog(Span::call_site())?;
    Ok(oauth_items(&catalog.oauth, &decl))
}

/// `__scope_table!()`: the scope table as a Markdown string literal.
pub fn scope_table(_: syn::parse::Nothing) -> syn::Result<TokenStream> {
    let catalog = load::catalog(Span::call_site())?;
    let table = markdown_table(catalog);
    Ok(quote!(#table))
}

fn catalog_items(catalog: &Catalog, decls: &CatalogDecls) -> TokenStream {
    let variants: Vec<Variant> = catalog
        .scopes
        .iter()
        .enumerate()
        .map(|(index, scope)| {
            let resource = &catalog.resource_of(scope).name;
            let mut variant =
                Variant::new(&scope.name, &scope.variant, &scope.description, resource);
            variant.doc += &endpoints_doc(catalog, index);
            variant
        })
        .collect();
    let scope_enum = string_enum(&decls.scope, &variants, &markdown_table(catalog));
    let resource_enum = resource_enum(catalog, &decls.resource);
    let scope_ident = &decls.scope.ident;
    let resource_ident = &decls.resource.ident;
    let scope_variants: Vec<&Ident> = variants.iter().map(|variant| &variant.ident).collect();
    let scope_resources = catalog
        .scopes
        .iter()
        .map(|scope| format_ident!("{}", catalog.resource_of(scope).variant));
    let scope_endpoints = (0..catalog.scopes.len()).map(|index| {
        let endpoints = catalog
            .endpoints_requiring(index)
            .map(|endpoint| format_ident!("{}", endpoint.variant));
        quote!(&[#(crate::Endpoint::#endpoints),*])
    });
    quote! {
        #scope_enum

        impl #scope_ident {
            /// The resource this scope belongs to.
            pub const fn resource(self) -> #resource_ident {
                match self {
                    #(#scope_ident::#scope_variants => #resource_ident::#scope_resources,)*
                }
            }

            /// The endpoints that require this scope (among others, maybe), by path.
            pub const fn endpoints(self) -> &'static [crate::Endpoint] {
                match self {
                    #(#scope_ident::#scope_variants => #scope_endpoints,)*
                }
            }
        }

        #resource_enum
    }
}

fn resource_enum(catalog: &Catalog, decl: &EnumDecl) -> TokenStream {
    let EnumDecl { attrs, vis, ident } = decl;
    let count = catalog.resources.len();
    let variants: Vec<Ident> = catalog
        .resources
        .iter()
        .map(|resource| format_ident!("{}", resource.variant))
        .collect();
    let docs = catalog.resources.iter().map(|resource| {
        let scopes: Vec<String> = resource
            .scopes
            .iter()
            .map(|&index| format!("`{}`", catalog.scopes[index].name))
            .collect();
        format!("{}: {}", resource.name, scopes.join(", "))
    });
    let name = const_accessor(
        "The resource's name as Fanvue's scope table gives it, e.g. `\"Tracking Links\"`.",
        "name",
        quote!(&'static str),
        ident,
        &variants,
        catalog.resources.iter().map(|resource| &resource.name),
    );
    let scopes = const_accessor(
        "The scopes of this resource.",
        "scopes",
        quote!(crate::ScopeSet),
        ident,
        &variants,
        catalog.resources.iter().map(|resource| {
            let bits = catalog::mask(resource.scopes.iter().copied());
            quote!(crate::ScopeSet::from_bits_truncate(#bits))
        }),
    );
    quote! {
        #(#attrs)*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
        #[non_exhaustive]
        #vis enum #ident {
            #(
                #[doc = #docs]
                #variants,
            )*
        }

        impl #ident {
            /// Every resource, in `scopes.toml` order.
            pub const ALL: [#ident; #count] = [#(#ident::#variants),*];

            #name
            #scopes
        }
    }
}

fn oauth_items(oauth: &Oauth, decl: &EnumDecl) -> TokenStream {
    let variants: Vec<Variant> = oauth
        .protocol_scopes
        .iter()
        .map(|scope| Variant::new(&scope.name, &scope.variant, &scope.description, "protocol"))
        .collect();
    let requested: Vec<String> = oauth
        .protocol_scopes
        .iter()
        .map(|scope| format!("`{}`", scope.name))
        .collect();
    let extra_doc = format!("Every authorize request asks for: {}.", requested.join(" "));
    let protocol_enum = string_enum(decl, &variants, &extra_doc);
    let (authorize, token, api) = (&oauth.authorize_url, &oauth.token_url, &oauth.api_base_url);
    let authorize_doc = format!("The authorization endpoint: `{authorize}`.");
    let token_doc = format!("The token endpoint: `{token}`.");
    let api_doc = format!("The API's base URL: `{api}`.");
    quote! {
        #[doc = #authorize_doc]
        pub const AUTHORIZE_URL: &str = #authorize;
        #[doc = #token_doc]
        pub const TOKEN_URL: &str = #token;
        #[doc = #api_doc]
        pub const API_BASE_URL: &str = #api;

        #protocol_enum
    }
}

/// One variant of an enum of scope strings.
struct Variant<'a> {
    name: &'a str,
    ident: Ident,
    description: &'a str,
    doc: String,
}

impl<'a> Variant<'a> {
    /// Documented as "`read:chat` (Chat): what it grants".
    fn new(name: &'a str, variant: &str, description: &'a str, group: &str) -> Self {
        Variant {
            name,
            ident: format_ident!("{}", variant),
            description,
            doc: format!("`{name}` ({group}): {description}"),
        }
    }
}

/// An enum of scope strings: one documented variant per scope, `ALL`,
/// `as_str`, `description`, its bit in a mask, an exact look-up by name, and
/// `Display`/`Debug` as the string.
fn string_enum(decl: &EnumDecl, variants: &[Variant<'_>], extra_doc: &str) -> TokenStream {
    let ident = &decl.ident;
    let count = variants.len();
    let idents: Vec<Ident> = variants
        .iter()
        .map(|variant| variant.ident.clone())
        .collect();
    let as_str = const_accessor(
        "The scope string, exactly as OAuth carries it, e.g. `\"read:chat\"`.",
        "as_str",
        quote!(&'static str),
        ident,
        &idents,
        variants.iter().map(|variant| variant.name),
    );
    let description = const_accessor(
        "What a token with this scope may do.",
        "description",
        quote!(&'static str),
        ident,
        &idents,
        variants.iter().map(|variant| variant.description),
    );
    // Byte-by-byte slice patterns compile to a decision tree, where string
    // literal patterns would be tried one `memcmp` after another.
    let name_patterns = variants.iter().map(|variant| {
        let bytes = variant.name.bytes().map(Literal::u8_suffixed);
        quote!([#(#bytes),*])
    });
    let definition = numbered_enum(
        decl,
        quote! {
            #[doc = ""]
            #[doc = #extra_doc]
            #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        },
        &idents,
        variants.iter().map(|variant| {
            let doc = &variant.doc;
            quote!(#[doc = #doc])
        }),
    );
    quote! {
        #definition

        impl #ident {
            /// Every one, in `scopes.toml` order.
            pub const ALL: [#ident; #count] = [#(#ident::#idents),*];

            #as_str
            #description

            /// This scope's bit in a mask of scopes.
            pub(crate) const fn bit(self) -> u64 {
                1 << self as u8
            }

            /// The scope with exactly this name; scope names are case-sensitive.
            pub(crate) fn from_name(name: &str) -> ::core::option::Option<Self> {
                match name.as_bytes() {
                    #(#name_patterns => ::core::option::Option::Some(#ident::#idents),)*
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

/// The scope table in Markdown, linking each scope to its variant, with
/// the endpoints each unlocks folded away, grouped by their first segment.
pub fn markdown_table(catalog: &Catalog) -> String {
    let mut table = String::from(
        "| Resource | Scope | What it grants | Endpoints that require it |\n|---|---|---|---|\n",
    );
    for (index, scope) in catalog.scopes.iter().enumerate() {
        let groups = endpoint_groups(catalog, index);
        let count: usize = groups.iter().map(|(_, links)| links.len()).sum();
        let lines: Vec<String> = groups
            .iter()
            .map(|(group, links)| format!("**{group}**: {}", links.join(", ")))
            .collect();
        let endpoints = if count == 0 {
            "none".to_owned()
        } else {
            format!(
                "<details><summary>{count} endpoint{}</summary>{}</details>",
                if count == 1 { "" } else { "s" },
                lines.join("<br>")
            )
        };
        table += &format!(
            "| {} | [`{}`](crate::Scope::{}) | {} | {endpoints} |\n",
            catalog.resource_of(scope).name,
            scope.name,
            scope.variant,
            scope.description.replace('|', "\\|"),
        );
    }
    table
}

/// The endpoints that require the scope at `index`, as doc links, grouped
/// by the first segment of their path (`/chats`), in catalog order.
fn endpoint_groups(catalog: &Catalog, index: usize) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for endpoint in catalog.endpoints_requiring(index) {
        let group = endpoint.path.split('/').nth(1).unwrap_or_default();
        let group = format!("/{group}");
        let link = format!(
            "[`{}`](crate::Endpoint::{})",
            endpoint.method_and_path(),
            endpoint.variant
        );
        match groups.last_mut() {
            Some((last, links)) if *last == group => links.push(link),
            _ => groups.push((group, vec![link])),
        }
    }
    groups
}

/// The list of endpoints appended to a `Scope` variant's docs.
fn endpoints_doc(catalog: &Catalog, index: usize) -> String {
    let groups = endpoint_groups(catalog, index);
    if groups.is_empty() {
        return String::new();
    }
    let count: usize = groups.iter().map(|(_, links)| links.len()).sum();
    // Folded as on the crate page: some scopes unlock dozens of endpoints.
    // The blank lines let rustdoc read the list inside the HTML as Markdown.
    let mut doc = format!(
        "\n\n<details><summary>Required by {count} endpoint{}</summary>\n\n",
        if count == 1 { "" } else { "s" }
    );
    for (group, links) in groups {
        doc += &format!("- {group}: {}\n", links.join(", "));
    }
    doc += "\n</details>\n";
    doc
}
#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = include_str!("../../scopes.toml");

    fn expand_with(source: &str) -> Result<String, String> {
        let catalog = crate::model::load::from_source("scopes.toml", source.as_bytes())
            .map_err(|e| e.to_string())?;
        let decls: CatalogDecls =
            syn::parse2(quote!(pub enum Scope; pub enum Resource;)).map_err(|e| e.to_string())?;
        let file: syn::File =
            syn::parse2(catalog_items(&catalog, &decls)).map_err(|e| e.to_string())?;
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
                .is_ok_and(|code| !code.contains("ReadVaultFolders")),
            "{before:?}"
        );
        let after = after.unwrap_or_else(|error| error);
        assert!(
            after.contains("Scope :: ReadVaultFolders => Resource :: VaultFolders"),
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
        assert!(after.contains("| Vault Folders | [`read:vault_folders`](crate::Scope::ReadVaultFolders) | Read vault folders. | none |"));
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
