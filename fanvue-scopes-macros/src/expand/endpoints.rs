//! `__generate_endpoints!`: the `Endpoint` enum, its documented variants,
//! and the route tree `Endpoint::find` walks; all from the `[[endpoint]]`
//! entries of the catalog, once, inside `fanvue-scopes`.

use crate::emit::{const_accessor, numbered_enum};
use crate::input::decl::EnumDecl;
use crate::model::catalog::{self, Catalog, Endpoint};
use crate::model::load;
use crate::model::template::Segment;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::Ident;

pub fn generate_endpoints(decl: EnumDecl) -> syn::Result<TokenStream> {
    let catalog = load::catalog(Span::call_site())?;
    Ok(endpoint_items(catalog, &decl))
}

fn endpoint_items(catalog: &Catalog, decl: &EnumDecl) -> TokenStream {
    let ident = &decl.ident;
    let endpoints = &catalog.endpoints;
    let count = endpoints.len();
    let idents: Vec<Ident> = endpoints
        .iter()
        .map(|endpoint| format_ident!("{}", endpoint.variant))
        .collect();
    let definition = numbered_enum(
        decl,
        quote!(#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]),
        &idents,
        endpoints.iter().map(|endpoint| {
            let doc = variant_doc(catalog, endpoint);
            let aliases = search_aliases(endpoint);
            quote!(#[doc = #doc] #(#[doc(alias = #aliases)])*)
        }),
    );
    let str_ty = quote!(&'static str);
    let accessor = |doc, name, ty, values: Vec<TokenStream>| {
        const_accessor(doc, name, ty, ident, &idents, values)
    };
    let each = |value: fn(&Endpoint) -> TokenStream| endpoints.iter().map(value).collect();
    let accessors = [
        accessor(
            "The HTTP method, such as `\"GET\"`.",
            "method",
            str_ty.clone(),
            each(|endpoint| endpoint.method.to_token_stream()),
        ),
        accessor(
            "The path template, such as `\"/chats/{userUuid}/messages\"`.",
            "path",
            str_ty.clone(),
            each(|endpoint| endpoint.path.to_token_stream()),
        ),
        accessor(
            "The path template with its parameters named by position, such as \
             `\"/chats/{p1}/messages\"`: the form a router such as axum's wants to \
             mount every endpoint at once, since it takes one name per position.",
            "router_path",
            str_ty.clone(),
            endpoints
                .iter()
                .map(|endpoint| router_path(endpoint).to_token_stream())
                .collect(),
        ),
        accessor(
            "Every scope a token needs to call this endpoint.",
            "scopes",
            quote!(crate::ScopeSet),
            endpoints
                .iter()
                .map(|endpoint| {
                    let bits = catalog::mask(endpoint.scopes.iter().copied());
                    quote!(crate::ScopeSet::from_bits_truncate(#bits))
                })
                .collect(),
        ),
        accessor(
            "Fanvue's name for the operation (its OpenAPI `operationId`), such as `\"listChats\"`.",
            "operation",
            str_ty.clone(),
            each(|endpoint| endpoint.operation.to_token_stream()),
        ),
        accessor(
            "What the endpoint does, in a sentence.",
            "summary",
            str_ty,
            each(|endpoint| endpoint.summary.to_token_stream()),
        ),
        accessor(
            "The endpoint's page in Fanvue's API reference, where known.",
            "reference",
            quote!(::core::option::Option<&'static str>),
            each(|endpoint| match &endpoint.reference {
                Some(url) => quote!(::core::option::Option::Some(#url)),
                None => quote!(::core::option::Option::None),
            }),
        ),
    ];
    // Each template's segments, parsed here once: `Some(text)` for a static
    // segment, `None` for a parameter. The runtime builds paths from them
    // and never reads template syntax itself.
    let segments = endpoints.iter().map(|endpoint| {
        let segments = endpoint
            .template
            .segments
            .iter()
            .map(|segment| match segment {
                Segment::Static(text) => quote!(::core::option::Option::Some(#text)),
                Segment::Param(_) => quote!(::core::option::Option::None),
            });
        quote!(&[#(#segments),*])
    });
    let version = &catalog.api_version;
    let version_doc = format!(
        "The Fanvue API version the catalog is of, `{version}`: send it as the \
         `X-Fanvue-API-Version` header."
    );
    let routes = RouteTree::build(endpoints).into_tokens(ident, &idents);
    quote! {
        #[doc = #version_doc]
        pub const API_VERSION: &str = #version;

        #definition

        impl #ident {
            /// Every endpoint, in `scopes.toml` order (by path).
            pub const ALL: [#ident; #count] = [#(#ident::#idents),*];

            #(#accessors)*

            /// The template's segments after each `/`: `Some` a static
            /// segment, `None` a parameter.
            pub(crate) const fn segments(self) -> &'static [::core::option::Option<&'static str>] {
                match self {
                    #(#ident::#idents => #segments,)*
                }
            }
        }

        #routes
    }
}

/// "`GET /chats`: List chats." with its scopes and reference link.
fn variant_doc(catalog: &Catalog, endpoint: &Endpoint) -> String {
    let scopes: Vec<String> = endpoint
        .scopes
        .iter()
        .map(|&index| {
            let scope = &catalog.scopes[index];
            format!("[`{}`](crate::Scope::{})", scope.name, scope.variant)
        })
        .collect();
    let mut doc = format!(
        "`{}`: {}\n\nRequires {}.",
        endpoint.method_and_path(),
        endpoint.summary,
        scopes.join(", ")
    );
    if let Some(url) = &endpoint.reference {
        doc += &format!(" [Fanvue reference]({url}).");
    }
    doc
}

/// `/chats/{p1}/messages`: the template with its parameters renamed by
/// position.
fn router_path(endpoint: &Endpoint) -> String {
    let mut position = 0;
    let mut path = String::new();
    for segment in &endpoint.template.segments {
        path.push('/');
        match segment {
            Segment::Static(text) => path.push_str(text),
            Segment::Param(_) => {
                position += 1;
                path += &format!("{{p{position}}}");
            }
        }
    }
    path
}

/// The words rustdoc search finds the variant by besides its name: each
/// static segment of its path (`chats`, `tracking-links`, and `tracking`
/// and `links` apart) and Fanvue's operation name. A path itself can't be
/// an alias: `/` is search syntax.
fn search_aliases(endpoint: &Endpoint) -> Vec<String> {
    let mut aliases: Vec<String> = Vec::new();
    let mut add = |word: &str| {
        if !word.is_empty() && !aliases.iter().any(|alias| alias == word) {
            aliases.push(word.to_owned());
        }
    };
    for segment in &endpoint.template.segments {
        if let Segment::Static(word) = segment {
            add(word);
            if word.contains('-') {
                word.split('-').for_each(&mut add);
            }
        }
    }
    add(&endpoint.operation);
    aliases
}

/// The endpoints' templates as a tree of segments. A node is reached by a
/// path's segments, static children tried before the parameter child; its
/// endpoints are the methods of the template that ends there.
#[derive(Default)]
struct RouteTree {
    nodes: Vec<Node>,
    depth: usize,
}

#[derive(Default)]
struct Node {
    statics: Vec<(String, usize)>,
    param: Option<usize>,
    endpoints: Vec<usize>,
}

impl RouteTree {
    fn build(endpoints: &[Endpoint]) -> Self {
        let mut tree = RouteTree {
            nodes: vec![Node::default()],
            depth: 0,
        };
        for (index, endpoint) in endpoints.iter().enumerate() {
            let segments = &endpoint.template.segments;
            tree.depth = tree.depth.max(segments.len());
            let mut node = 0;
            for segment in segments {
                node = tree.child(node, segment);
            }
            tree.nodes[node].endpoints.push(index);
        }
        tree
    }

    fn child(&mut self, parent: usize, segment: &Segment) -> usize {
        let existing = match segment {
            Segment::Static(text) => self.nodes[parent]
                .statics
                .iter()
                .find(|(child_text, _)| child_text == text)
                .map(|&(_, child)| child),
            Segment::Param(_) => self.nodes[parent].param,
        };
        if let Some(child) = existing {
            return child;
        }
        let child = self.nodes.len();
        self.nodes.push(Node::default());
        match segment {
            Segment::Static(text) => self.nodes[parent].statics.push((text.clone(), child)),
            Segment::Param(_) => self.nodes[parent].param = Some(child),
        }
        child
    }

    /// `ROUTE_NODES` and `MAX_SEGMENTS`, for `crate::endpoint`.
    fn into_tokens(self, endpoint_enum: &Ident, variants: &[Ident]) -> TokenStream {
        let count = self.nodes.len();
        let depth = self.depth;
        let nodes = self.nodes.iter().map(|node| {
            let statics = node
                .statics
                .iter()
                .map(|(text, child)| quote!((#text, #child)));
            let param = match node.param {
                Some(child) => quote!(::core::option::Option::Some(#child)),
                None => quote!(::core::option::Option::None),
            };
            let endpoints = node.endpoints.iter().map(|&index| &variants[index]);
            quote! {
                crate::__private::RouteNode {
                    statics: &[#(#statics),*],
                    param: #param,
                    endpoints: &[#(#endpoint_enum::#endpoints),*],
                }
            }
        });
        quote! {
            /// The longest template, in segments: a longer path is no endpoint.
            pub(crate) const MAX_SEGMENTS: usize = #depth;

            /// The route tree; the root is the first node.
            pub(crate) static ROUTE_NODES: [crate::__private::RouteNode; #count] = [#(#nodes),*];
        }
    }
}
