//! `#[requires(..)]`: parses the requirement, finds where the caller's
//! granted scopes come from, and puts a fail-closed guard in front of the fn
//! body.

use crate::emit::scope_set;
use crate::input::crate_path::{self, CratePath};
use crate::input::endpoint_ref::{self, EndpointRef};
use crate::input::errors::Errors;
use crate::input::scope_name::{self, ScopeName};
use crate::model::catalog::{self, Catalog, Endpoint, Scope};
use crate::model::load;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, FnArg, Ident, Pat, PatType, ReturnType, Signature, Token, Type, Visibility,
    token,
};

syn::custom_keyword!(from);
syn::custom_keyword!(calls);
syn::custom_keyword!(in_impl);

/// The attribute's arguments as written.
#[derive(Default)]
struct Args {
    all: Vec<ScopeName>,
    any: Vec<AnyGroup>,
    calls: Vec<CallsGroup>,
    from: Option<Expr>,
    krate: Option<CratePath>,
}

/// `calls(GET "/chats", POST "/chats")`: the endpoints the fn calls, whose
/// scopes it requires.
struct CallsGroup {
    span: Span,
    endpoints: Vec<EndpointRef>,
}

impl CallsGroup {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        input.parse::<calls>()?;
        let content;
        let paren = syn::parenthesized!(content in input);
        let endpoints =
            Punctuated::<EndpointRef, Token![,]>::parse_terminated_with(&content, |input| {
                reject_nested_group(input, "calls")?;
                EndpointRef::parse(input)
            })?;
        Ok(CallsGroup {
            span: paren.span.join(),
            endpoints: endpoints.into_iter().collect(),
        })
    }
}

/// `any(read:fan, read:creator)`: one of these is enough.
struct AnyGroup {
    span: Span,
    names: Vec<ScopeName>,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            if input.peek(Token![crate]) && input.peek2(Token![=]) {
                let keyword: Token![crate] = input.parse()?;
                if args.krate.is_some() {
                    return Err(syn::Error::new(keyword.span, "`crate = ..` is given twice"));
                }
                args.krate = Some(CratePath::parse_assignment(input)?);
            } else if input.peek(from) && input.peek2(Token![=]) {
                let keyword: from = input.parse()?;
                input.parse::<Token![=]>()?;
                if args.from.is_some() {
                    return Err(syn::Error::new(keyword.span, "`from = ..` is given twice"));
                }
                args.from = Some(input.parse()?);
            } else if peek_in_impl(input) {
                let keyword: in_impl = input.parse()?;
                return Err(syn::Error::new(
                    keyword.span,
                    "`in_impl` is not needed: a route handler carries its requirement in the \
                     future it returns, in an `impl` as anywhere else; remove it",
                ));
            } else if input.peek(calls) && input.peek2(token::Paren) {
                args.calls.push(input.call(CallsGroup::parse)?);
            } else if input.peek(Ident::peek_any) && input.peek2(token::Paren) {
                args.any.push(input.call(AnyGroup::parse)?);
            } else {
                args.all.push(ScopeName::parse(input)?);
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }
}

/// Whether the input is the flag `in_impl` alone, up to a `,` or its end.
fn peek_in_impl(input: ParseStream) -> bool {
    let fork = input.fork();
    fork.parse::<in_impl>().is_ok() && (fork.is_empty() || fork.peek(Token![,]))
}

/// A group written inside another (`any(calls(..))`), which the grammar
/// does not allow: an error that says what goes where.
fn reject_nested_group(input: ParseStream, outer: &str) -> syn::Result<()> {
    if input.peek(Ident::peek_any) && input.peek2(token::Paren) {
        let inner = input.call(Ident::parse_any)?;
        let takes = if outer == "any" {
            "scope names, such as `any(read:fan, read:creator)`"
        } else {
            "endpoints, such as `calls(GET \"/chats\", POST \"/chats\")`"
        };
        return Err(syn::Error::new(
            inner.span(),
            format!(
                "`{inner}(..)` can't stand inside `{outer}(..)`, which takes {takes}; \
                 groups don't nest: write `any(..)` and `calls(..)` side by side, \
                 as in `#[requires(any(read:fan, read:creator), calls(GET \"/chats\"))]`"
            ),
        ));
    }
    Ok(())
}

impl AnyGroup {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let keyword = input.call(Ident::parse_any)?;
        if keyword != "any" {
            return Err(syn::Error::new(
                keyword.span(),
                format!(
                    "unknown group `{keyword}(..)`; write `any(..)` for scopes of which one is \
                     enough, or `calls(..)` for the endpoints the fn calls"
                ),
            ));
        }
        let content;
        let paren = syn::parenthesized!(content in input);
        let names = Punctuated::<ScopeName, Token![,]>::parse_terminated_with(&content, |input| {
            reject_nested_group(input, "any")?;
            ScopeName::parse(input)
        })?;
        Ok(AnyGroup {
            span: paren.span.join(),
            names: names.into_iter().collect(),
        })
    }
}

/// The annotated fn. Its body stays unparsed tokens, apart from its inner
/// attributes: the guard goes between the two, and parsing every handler's
/// body would only slow builds.
struct Function {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    brace: token::Brace,
    inner_attrs: Vec<Attribute>,
    body: TokenStream,
}

impl Parse for Function {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let content;
        let brace = syn::braced!(content in input);
        let inner_attrs = content.call(Attribute::parse_inner)?;
        let body = content.parse()?;
        Ok(Function {
            attrs,
            vis,
            sig,
            brace,
            inner_attrs,
            body,
        })
    }
}

/// The checked requirement: `all` holds the scopes named on their own,
/// then those of the endpoints in `calls`.
struct Requirement<'c> {
    all: Vec<&'c Scope>,
    any: Vec<Vec<&'c Scope>>,
    calls: Vec<&'c Endpoint>,
}

/// The fn with its guard in front of the body.
pub fn requires(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let catalog = load::catalog(Span::call_site())?;
    let args: Args = syn::parse2(args)?;
    let mut function: Function = syn::parse2(item).map_err(|error| {
        syn::Error::new(
            error.span(),
            "`#[requires]` goes on a fn with a body, such as an axum or actix-web handler",
        )
    })?;

    let mut errors = Errors::default();
    let requirement = check_requirement(&args, catalog, &mut errors);
    check_signature(&function, &mut errors);
    let tool = mcp_tool_name(&function).unwrap_or_else(|error| {
        errors.push(error);
        None
    });
    let source = match args.from {
        Some(expr) => Ok(GrantedSource::Expr(expr)),
        None => {
            if carries_requirement(&function.sig) {
                check_route_handler(&function, &mut errors);
            }
            find_granted_param(&mut function.sig)
        }
    };
    let source = errors.finish_with(source)?;
    let krate = match args.krate {
        Some(krate) => krate,
        None => {
            if let Some(name) = crate_path::renamed_dependency() {
                return Err(syn::Error::new(
                    Span::call_site(),
                    format!(
                        "this crate's Cargo.toml renames fanvue-scopes `{name}`, so the code \
                         `#[requires]` writes can't name it `fanvue_scopes`: add `crate = {name}`, \
                         as in `#[{name}::requires(read:chat, crate = {name})]`"
                    ),
                ));
            }
            CratePath::default()
        }
    };
    wrap(function, &krate, &requirement, source, tool)
}

/// The name of the MCP tool the fn is, when rmcp's `#[tool]` is written
/// below `#[requires]`, where it is still on the fn: its `name = ".."`, or
/// the fn's own name, as rmcp names it. `None` without one (written above,
/// rmcp has already expanded it, and its name is out of sight).
fn mcp_tool_name(function: &Function) -> syn::Result<Option<String>> {
    let Some(tool) = function.attrs.iter().find(|attr| is_rmcp_tool(attr)) else {
        return Ok(None);
    };
    let mut name = None;
    if let syn::Meta::List(list) = &tool.meta {
        let args = list.parse_args_with(Punctuated::<syn::Meta, Token![,]>::parse_terminated)?;
        for arg in args {
            let syn::Meta::NameValue(pair) = arg else {
                continue;
            };
            if !pair.path.is_ident("name") {
                continue;
            }
            match &pair.value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) => name = Some(text.value()),
                other => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "`#[requires]` reads the tool's name from `#[tool(name = \"..\")]`, \
                         and this one is not a string literal",
                    ));
                }
            }
        }
    }
    Ok(Some(name.unwrap_or_else(|| function.sig.ident.to_string())))
}

/// rmcp's `#[tool]`, by the last segment of its path, as rmcp's
/// `#[tool_router]` finds it: `#[tool]`, `#[rmcp::tool]`.
fn is_rmcp_tool(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "tool")
}

fn check_requirement<'c>(
    args: &Args,
    catalog: &'c Catalog,
    errors: &mut Errors,
) -> Requirement<'c> {
    if args.all.is_empty() && args.any.is_empty() && args.calls.is_empty() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`#[requires]` needs at least one scope, such as `#[requires(read:chat)]`, or \
             the endpoints the fn calls, `#[requires(calls(GET \"/chats\"))]`; \
             an empty requirement would guard nothing",
        ));
    }
    let mut all = scope_name::resolve_all(&args.all, catalog, errors);
    let mut refs = Vec::new();
    for group in &args.calls {
        if group.endpoints.is_empty() {
            errors.push(syn::Error::new(
                group.span,
                "`calls()` needs at least one endpoint, such as `calls(GET \"/chats\")`",
            ));
        }
        refs.extend(&group.endpoints);
    }
    let calls = endpoint_ref::resolve_all(refs, catalog, errors);
    for endpoint in &calls {
        for &index in &endpoint.scopes {
            let scope = &catalog.scopes[index];
            if !all.iter().any(|required| required.name == scope.name) {
                all.push(scope);
            }
        }
    }
    let any = args
        .any
        .iter()
        .map(|group| {
            if group.names.is_empty() {
                errors.push(syn::Error::new(
                    group.span,
                    "`any()` needs at least one scope, such as `any(read:fan, read:creator)`",
                ));
            }
            let scopes = scope_name::resolve_all(&group.names, catalog, errors);
            for (name, scope) in group.names.iter().zip(&scopes) {
                if all.iter().any(|required| required.name == scope.name) {
                    errors.push(name.error(format!(
                        "duplicate scope `{}`: it is already required, on its own or by an endpoint \
                         in `calls(..)`, so listing it in `any(..)` changes nothing",
                        scope.name
                    )));
                }
            }
            scopes
        })
        .collect();
    Requirement { all, any, calls }
}

/// What the signature must allow: a guard that runs non-const code once and
/// returns `Err(..)`.
fn check_signature(function: &Function, errors: &mut Errors) {
    let sig = &function.sig;
    if let Some(constness) = &sig.constness {
        errors.push(syn::Error::new(
            constness.span,
            "`#[requires]` can't guard a `const fn`: its guard reads the granted scopes at run time, \
             which is not const; remove `const`",
        ));
    }
    // Recognised by what an expansion of ours left on the fn, not by the
    // attribute's name: it may be imported under another name, and other
    // crates have a `#[requires]` of their own.
    if function.attrs.iter().any(is_required_scopes_doc) {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`#[requires]` is given twice on this fn; write the whole requirement in one: \
             `#[requires(read:chat, write:chat, any(..))]`",
        ));
        // The fn is the first one's expansion: its signature is ours, not
        // the user's, and says nothing more.
        return;
    }
    if let Some(route) = function.attrs.iter().find(|attr| is_actix_route(attr)) {
        let name = route
            .path()
            .segments
            .last()
            .map(|segment| segment.ident.to_string())
            .unwrap_or_default();
        errors.push(syn::Error::new_spanned(
            route,
            format!(
                "`#[{name}(..)]` makes actix-web register this fn as a route of its own, \
                 beyond the reach of the route guard `#[requires]` needs; remove it and route \
                 the fn with `Guarded::new` in `fanvue_scopes::actix::Routes`, such as \
                 `Routes::new().{method}(\"/path\", Guarded::new({fn_name}))`",
                method = if name == "route" || name == "routes" {
                    "get"
                } else {
                    &name
                },
                fn_name = sig.ident,
            ),
        ));
    }
    if boxed_future(&sig.output).is_some_and(|output| output.is_none()) {
        errors.push(syn::Error::new(
            sig.ident.span(),
            "`#[requires]` can't find the `Output = ..` of this boxed future, which it must \
             return its refusal as: write the return type as \
             `Pin<Box<dyn Future<Output = Result<T, E>> + Send + '_>>`",
        ));
    }
    if let Some(span) = not_a_result(&sig.output) {
        errors.push(syn::Error::new(
            span.unwrap_or_else(|| sig.ident.span()),
            "`#[requires]` returns `Err(InsufficientScope)` when a scope is missing, \
             so the fn must return `Result<T, E>` where `E: From<InsufficientScope>`",
        ));
    }
}

/// What a route handler (an `async fn` taking `Granted`, no `self`) must
/// also be, for its future to carry the requirement to a router: a safe fn
/// whose type can be named, with the attributes that read its `async`
/// written above `#[requires]`, which writes the fn as one returning its
/// future. Each refusal says how to guard the fn in its body instead.
fn check_route_handler(function: &Function, errors: &mut Errors) {
    const IN_BODY: &str = "or, to guard it in its body only, as a helper your route handler \
                           calls, read the grant with `#[requires(.., from = granted)]`";
    let sig = &function.sig;
    if let syn::Safety::Unsafe(unsafety) = &sig.safety {
        errors.push(syn::Error::new(
            unsafety.span,
            format!(
                "`#[requires]` makes an `async fn` that takes `Granted` a route handler, and a \
                 router calls its handlers as safe fns: make `{}` safe, with the unsafe code in \
                 an `unsafe {{ .. }}` block inside it; {IN_BODY}",
                sig.ident
            ),
        ));
    }
    for input in &sig.inputs {
        if let FnArg::Typed(param) = input {
            if let Type::ImplTrait(ty) = &*param.ty {
                errors.push(syn::Error::new_spanned(
                    ty,
                    format!(
                        "a route handler's type must be nameable, and an `impl Trait` parameter \
                         makes `{}`'s unnameable, so no router or `Requirement::of` can take it: \
                         declare a type parameter instead (`fn {}<F: ..>`, routed as `{}::<MyType>`); \
                         {IN_BODY}",
                        sig.ident, sig.ident, sig.ident
                    ),
                ));
            }
        }
    }
    if let Some(instrument) = function.attrs.iter().find(|attr| {
        attr.path()
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "instrument")
    }) {
        errors.push(syn::Error::new_spanned(
            instrument,
            "write `#[instrument]` above `#[requires]`: below it, it sees the fn `#[requires]` \
             writes, which returns the handler's future rather than being `async`, so its span \
             would not cover the body (and `err` or `ret` can't read the result)",
        ));
    }
}

/// The first line of the docs section an expansion appends: how a second
/// `#[requires]` recognises the first.
const REQUIRED_SCOPES_HEADING: &str = "\n# Required scopes\n\n";

fn is_required_scopes_doc(attr: &Attribute) -> bool {
    match &attr.meta {
        syn::Meta::NameValue(doc) if doc.path.is_ident("doc") => matches!(
            &doc.value,
            Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. })
                if text.value().starts_with(REQUIRED_SCOPES_HEADING)
        ),
        _ => false,
    }
}

/// actix-web's route attributes, `#[get("/path")]` and the like: by name,
/// with a path string first, as actix-web writes them.
fn is_actix_route(attr: &Attribute) -> bool {
    const ROUTES: [&str; 11] = [
        "get", "post", "put", "delete", "patch", "head", "options", "trace", "connect", "route",
        "routes",
    ];
    let named = attr
        .path()
        .segments
        .last()
        .is_some_and(|segment| ROUTES.iter().any(|route| segment.ident == route));
    let takes_a_path = match &attr.meta {
        syn::Meta::List(list) => list
            .parse_args_with(|input: ParseStream| {
                input.parse::<syn::LitStr>()?;
                input.parse::<TokenStream>()
            })
            .is_ok(),
        _ => false,
    };
    named && takes_a_path
}

/// For `Pin<Box<dyn Future<Output = R> ..>>`, the return type that
/// `#[async_trait]` and rmcp's `#[tool]` give an `async fn`: `Some(Some(R))`,
/// or `Some(None)` if `R` can't be read; `None` for any other type.
fn boxed_future(output: &ReturnType) -> Option<Option<&Type>> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::Path(path) = &**ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Pin" || !last.to_token_stream().to_string().contains("Future") {
        return None;
    }
    Some(future_output(last))
}

/// `R` in `Pin<Box<dyn Future<Output = R> + ..>>`.
fn future_output(pin: &syn::PathSegment) -> Option<&Type> {
    fn generic_type(segment: &syn::PathSegment) -> Option<&Type> {
        match &segment.arguments {
            syn::PathArguments::AngleBracketed(args) => {
                args.args.iter().find_map(|arg| match arg {
                    syn::GenericArgument::Type(ty) => Some(ty),
                    _ => None,
                })
            }
            _ => None,
        }
    }
    let Type::Path(boxed) = generic_type(pin)? else {
        return None;
    };
    let Type::TraitObject(object) = generic_type(boxed.path.segments.last()?)? else {
        return None;
    };
    object.bounds.iter().find_map(|bound| {
        let syn::TypeParamBound::Trait(trait_bound) = bound else {
            return None;
        };
        let future = trait_bound.path.segments.last()?;
        let syn::PathArguments::AngleBracketed(args) = &future.arguments else {
            return None;
        };
        args.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&assoc.ty),
            _ => None,
        })
    })
}

/// Where the return type surely is not a `Result`: none at all (`None`), a
/// type that no alias can hide one behind, or a name of the standard
/// library's that no one makes one (`u8`, `String`, `Option<T>`). Any
/// other path is left to the type checker, which sees through aliases such
/// as `ApiResult<T>`.
fn not_a_result(output: &ReturnType) -> Option<Option<Span>> {
    const STD_NOT_RESULTS: [&str; 21] = [
        "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32",
        "i64", "i128", "isize", "f32", "f64", "String", "Vec", "Option", "Box",
    ];
    let ty = match output {
        ReturnType::Default => return Some(None),
        ReturnType::Type(_, ty) => &**ty,
    };
    match ty {
        Type::Path(path)
            if path.qself.is_none()
                && path.path.segments.len() == 1
                && STD_NOT_RESULTS
                    .iter()
                    .any(|name| path.path.segments[0].ident == name) =>
        {
            Some(Some(ty.span()))
        }
        Type::Path(_) | Type::Paren(_) | Type::Group(_) | Type::Macro(_) | Type::Verbatim(_) => {
            None
        }
        _ => Some(Some(ty.span())),
    }
}

/// Where the guard reads the caller's granted scopes from.
enum GrantedSource {
    /// `from = expr`: anything that implements `HasScopes`.
    Expr(Expr),
    /// The parameter typed `Granted`.
    Param {
        ident: Ident,
        /// Restores a destructuring pattern that had to be replaced by a name.
        rebind: Option<Pat>,
    },
}

/// The one parameter typed `Granted`. A `ScopeSet` is never taken: it may be
/// request data, such as the scopes to grant someone else.
fn find_granted_param(sig: &mut Signature) -> syn::Result<GrantedSource> {
    let fn_name = sig.ident.clone();
    let mut granted: Vec<&mut PatType> = Vec::new();
    let mut scope_sets: Vec<(String, TokenStream)> = Vec::new();
    for arg in sig.inputs.iter_mut() {
        let FnArg::Typed(param) = arg else { continue };
        match type_name(&param.ty) {
            Some(name) if name == "Granted" => granted.push(param),
            Some(name) if name == "ScopeSet" => {
                scope_sets.push((pattern_text(&param.pat), param.to_token_stream()));
            }
            _ => {}
        }
    }
    if let Some(cfg) = granted.iter().find_map(|param| {
        param
            .attrs
            .iter()
            .find(|attr| attr.path().is_ident("cfg") || attr.path().is_ident("cfg_attr"))
    }) {
        return Err(syn::Error::new_spanned(
            cfg,
            "the guard reads the caller's grant from this `Granted` parameter, which this \
             `#[cfg]` may remove, and a guard must never be configured away: keep the parameter \
             unconditional and put the `#[cfg]` on the whole fn, or read the grant with \
             `#[requires(.., from = ..)]`",
        ));
    }
    match granted.as_mut_slice() {
        [param] => Ok(take_param(param)),
        [] => Err(match scope_sets.first() {
            Some((name, tokens)) => syn::Error::new_spanned(
                tokens,
                format!(
                    "`#[requires]` does not read the caller's grant from a `ScopeSet` parameter: \
                     a `ScopeSet` may be request data, such as the scopes to grant someone. \
                     If `{name}` holds what the caller's token granted, say so with \
                     `#[requires(.., from = {name})]`, or take it as `{name}: Granted`"
                ),
            ),
            None => syn::Error::new(
                fn_name.span(),
                "`#[requires]` can't find the caller's granted scopes: add a parameter \
                 `granted: Granted`, or name them with `#[requires(.., from = expr)]` where \
                 `expr` implements `HasScopes`. The parameter is found by its type's name, \
                 so a renamed `Granted` (`use .. as G`) needs `from = ..` too",
            ),
        }),
        [first, second, ..] => Err(syn::Error::new_spanned(
            &*second,
            format!(
                "`#[requires]` found two `Granted` parameters, `{first}` and `{second}`: \
                 name the one to check, such as `from = {first}`",
                first = pattern_text(&first.pat),
                second = pattern_text(&second.pat),
            ),
        )),
    }
}

/// The parameter as a plain name the guard can read; a destructuring
/// pattern (`Granted(scopes): Granted`) is moved into the body.
fn take_param(param: &mut PatType) -> GrantedSource {
    if let Pat::Ident(pat) = &*param.pat {
        if pat.by_ref.is_none() && pat.subpat.is_none() {
            return GrantedSource::Param {
                ident: pat.ident.clone(),
                rebind: None,
            };
        }
    }
    // A parameter is a pattern, where a const of the same name would win
    // over hygiene: this name is the guard's alone.
    let ident = Ident::new("__fanvue_scopes_granted", Span::mixed_site());
    let pattern = std::mem::replace(&mut *param.pat, Pat::Verbatim(ident.to_token_stream()));
    GrantedSource::Param {
        ident,
        rebind: Some(pattern),
    }
}

fn pattern_text(pat: &Pat) -> String {
    pat.to_token_stream().to_string()
}

/// `Granted` for `Granted`, `&fanvue_scopes::Granted` or `(Granted)`: the
/// last segment of a path without generic arguments.
fn type_name(ty: &Type) -> Option<&Ident> {
    match ty {
        Type::Reference(reference) => type_name(&reference.elem),
        Type::Paren(paren) => type_name(&paren.elem),
        Type::Group(group) => type_name(&group.elem),
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .filter(|last| last.arguments.is_none())
            .map(|last| &last.ident),
        _ => None,
    }
}

fn wrap(
    mut function: Function,
    krate: &CratePath,
    requirement: &Requirement<'_>,
    source: GrantedSource,
    tool: Option<String>,
) -> syn::Result<TokenStream> {
    // A tool's doc comment is its description for the agent, which shows
    // its scopes in `_meta`: rmcp would read this section into it.
    let docs = tool.is_none().then(|| required_scopes_doc(requirement));
    let name = function.sig.ident.to_string();
    let guarded_when_called =
        function.sig.receiver().is_some() && boxed_future(&function.sig.output).is_some();
    let mut registered = TokenStream::new();
    if let Some(tool) = &tool {
        registered.extend(quote!(, __tool(#tool)));
    }
    if guarded_when_called {
        registered.extend(quote!(, __guarded_when_called()));
    }

    // The guard's names are hygienic (mixed-site), and its one item lives
    // in a block of its own.
    let mixed = Span::mixed_site();
    // A wrong return type, or a missing `From<InsufficientScope>` impl, is
    // reported on the return type.
    let output_span = match &function.sig.output {
        ReturnType::Type(_, ty) => mixed.located_at(ty.span()),
        ReturnType::Default => mixed,
    };
    let insufficient = Ident::new("__fanvue_scopes_insufficient", output_span);
    // Only a grant read from a `Granted` parameter is the one a route guard
    // reads from the request too.
    let route_handler =
        matches!(source, GrantedSource::Param { .. }) && carries_requirement(&function.sig);
    let (granted, rebind) = match source {
        GrantedSource::Expr(expr) => (expr.into_token_stream(), None),
        GrantedSource::Param { ident, rebind } => (
            ident.to_token_stream(),
            rebind.map(|pattern| quote!(let #pattern = #ident;)),
        ),
    };
    let refuse = quote_spanned! {output_span=>
        return ::core::result::Result::Err(::core::convert::From::from(#insufficient));
    };

    // The requirement, read from the companion type that carries it in
    // const parameters: one generic impl for every handler, where a const
    // per handler would cost the compiler more. More `any(..)` groups than
    // it carries get a const of their own, and can't be routed.
    let companion = companion_type(krate, requirement);
    let calls = requirement
        .calls
        .iter()
        .map(|endpoint| crate::emit::endpoint_path(krate, endpoint));
    let calls = quote!(&[#(#calls),*]);
    let requirement = match &companion {
        Some(companion) => quote!(<#companion>::REQUIREMENT),
        None if route_handler => {
            return Err(syn::Error::new(
                Span::call_site(),
                format!(
                    "a route handler's `#[requires]` takes at most {MAX_ANY_GROUPS} `any(..)` \
                     groups, which its future carries in its type; this one has {}: require \
                     some of those scopes outright, or split the handler",
                    requirement.any.len()
                ),
            ));
        }
        None => {
            let requirement_const = Ident::new("REQUIREMENT", mixed);
            let new_requirement = new_requirement(krate, requirement);
            quote!({
                const #requirement_const: #krate::Requirement = #new_requirement;
                &#requirement_const
            })
        }
    };
    // The check, with `refusal` for when the scopes fall short: the same
    // for every shape of fn but how it returns the refusal.
    let guard = |refusal: TokenStream| {
        quote! {
            #krate::__private::register_handler!(#name, #requirement, #calls #registered);
            // `E` may be `InsufficientScope` itself.
            #[allow(clippy::useless_conversion)]
            if let ::core::result::Result::Err(#insufficient) =
                #requirement.check(#krate::HasScopes::granted_scopes(&(#granted)))
            {
                #refusal
            }
            #rebind
        }
    };

    let Function {
        attrs,
        vis,
        sig,
        brace,
        inner_attrs,
        body,
    } = &mut function;
    let mut block = TokenStream::new();
    let mut attrs = std::mem::take(attrs);
    match (route_handler, companion) {
        (true, Some(companion)) => {
            // The refusal as the declared return type: the body's future has
            // that output from its first line, and a type that can't carry
            // the refusal is named in words of ours. An `impl Trait` in it
            // can't be named there: the refusal is then inferred.
            let guarded = match &sig.output {
                ReturnType::Type(_, ty) if !has_impl_trait(ty.to_token_stream()) => {
                    guard(quote_spanned! {output_span=>
                        return <#ty as #krate::CarriesRefusal>::__refusal(#insufficient);
                    })
                }
                _ => guard(refuse),
            };
            // `async fn f(..) -> R` becomes `fn f(..) -> impl Future<Output =
            // R> + RequiresScopes`: the future carries the requirement in
            // its type, where `Guarded::new` reads it from the fn itself.
            // `impl` is spanned like `async`, so its captures follow the
            // edition of the code that wrote it.
            let asyncness = sig.asyncness.take();
            let impl_span = asyncness.map_or_else(Span::call_site, |token| token.span);
            let output = match &sig.output {
                ReturnType::Type(_, ty) => ty.to_token_stream(),
                ReturnType::Default => quote!(()),
            };
            let lifetimes = name_lifetimes(sig);
            let captures = (!lifetimes.is_empty()).then(|| {
                // Lints would take the lifetimes named here for the user's.
                attrs.push(syn::parse_quote!(#[allow(clippy::needless_lifetimes)]));
                quote!(+ #krate::__private::Captures<(#(&#lifetimes (),)*)>)
            });
            let future = quote_spanned! {impl_span=>
                impl ::core::future::Future<Output = #output> + #krate::RequiresScopes #captures
            };
            sig.output = ReturnType::Type(Token![->](impl_span), Box::new(Type::Verbatim(future)));
            // In a trait impl, the future is more precise than the trait's
            // `async fn`: that is the point.
            attrs.push(syn::parse_quote!(#[allow(refining_impl_trait)]));
            brace.surround(&mut block, |block| {
                block.extend(quote! {
                    #(#inner_attrs)*
                    #krate::__private::Scoped::<#companion, _>::new(async move {
                        #guarded
                        #body
                    })
                });
            });
        }
        _ => {
            let guarded = match boxed_future(&sig.output).flatten() {
                // A boxed future (`#[async_trait]`, rmcp's `#[tool]`): the
                // guard runs when the fn is called, before the future is
                // made, and answers with a ready future of the refusal.
                Some(output) => guard(quote_spanned! {output_span=>
                    let __fanvue_scopes_refusal: #output =
                        ::core::result::Result::Err(::core::convert::From::from(#insufficient));
                    return ::std::boxed::Box::pin(async move { __fanvue_scopes_refusal });
                }),
                None => guard(refuse),
            };
            brace.surround(&mut block, |block| {
                block.extend(quote! {
                    #(#inner_attrs)*
                    #guarded
                    #body
                });
            });
        }
    }
    let docs = docs.map(|docs| quote!(#[doc = #docs]));
    Ok(quote! {
        #(#attrs)*
        #docs
        #vis #sig #block
    })
}

/// Whether `tokens` hold an `impl Trait`, at any depth.
fn has_impl_trait(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        proc_macro2::TokenTree::Ident(ident) => ident == "impl",
        proc_macro2::TokenTree::Group(group) => has_impl_trait(group.stream()),
        _ => false,
    })
}

/// Whether the fn's future can carry its requirement: an `async fn`
/// without `self`, as route handlers and the fns that call Fanvue are.
fn carries_requirement(sig: &Signature) -> bool {
    sig.asyncness.is_some() && sig.receiver().is_none()
}

/// Names every lifetime the fn's parameters borrow for, declaring those
/// that were elided (`&T`, `'_`), and returns them all: the future borrows
/// for them too, and an `impl Future` return type captures a lifetime in
/// every edition only when it names it.
fn name_lifetimes(sig: &mut Signature) -> Vec<syn::Lifetime> {
    let mut lifetimes: Vec<syn::Lifetime> = sig
        .generics
        .lifetimes()
        .map(|param| param.lifetime.clone())
        .collect();
    let declared = lifetimes.len();
    for input in sig.inputs.iter_mut() {
        if let FnArg::Typed(param) = input {
            let tokens = param.ty.to_token_stream();
            let named = name_elided(tokens, &mut lifetimes);
            *param.ty = Type::Verbatim(named);
        }
    }
    for lifetime in &lifetimes[declared..] {
        if lifetime.ident.to_string().starts_with("__fanvue_scopes_") {
            sig.generics.params.insert(
                0,
                syn::GenericParam::Lifetime(syn::LifetimeParam::new(lifetime.clone())),
            );
        }
    }
    lifetimes
}

/// `tokens` with each elided lifetime named, and every lifetime added to
/// `lifetimes`. A `fn(..)` or `Fn(..)` type's own parameters are left as
/// written: their elided lifetimes are their own.
fn name_elided(tokens: TokenStream, lifetimes: &mut Vec<syn::Lifetime>) -> TokenStream {
    use proc_macro2::{Delimiter, Group, TokenTree};
    let fresh = |lifetimes: &mut Vec<syn::Lifetime>, span: Span| {
        let lifetime = syn::Lifetime::new(&format!("'__fanvue_scopes_{}", lifetimes.len()), span);
        lifetimes.push(lifetime.clone());
        lifetime
    };
    let mut out = TokenStream::new();
    let mut tokens = tokens.into_iter().peekable();
    let mut previous_ident: Option<String> = None;
    while let Some(token) = tokens.next() {
        match &token {
            TokenTree::Punct(punct) if punct.as_char() == '&' => {
                out.extend([token.clone()]);
                let has_lifetime =
                    matches!(tokens.peek(), Some(TokenTree::Punct(next)) if next.as_char() == '\'');
                if !has_lifetime {
                    fresh(lifetimes, punct.span()).to_tokens(&mut out);
                }
                previous_ident = None;
                continue;
            }
            TokenTree::Punct(punct) if punct.as_char() == '\'' => {
                if let Some(TokenTree::Ident(ident)) = tokens.next() {
                    let lifetime = if ident == "_" {
                        fresh(lifetimes, ident.span())
                    } else {
                        let lifetime = syn::Lifetime {
                            apostrophe: punct.span(),
                            ident,
                        };
                        if !lifetimes.contains(&lifetime) && lifetime.ident != "static" {
                            lifetimes.push(lifetime.clone());
                        }
                        lifetime
                    };
                    lifetime.to_tokens(&mut out);
                }
                previous_ident = None;
                continue;
            }
            TokenTree::Group(group) => {
                let own_parameters = group.delimiter() == Delimiter::Parenthesis
                    && previous_ident
                        .as_deref()
                        .is_some_and(|ident| matches!(ident, "fn" | "Fn" | "FnMut" | "FnOnce"));
                if own_parameters {
                    // `Fn(&str) -> &str`: its parameters and its return
                    // type are its own, elisions included.
                    out.extend([token.clone()]);
                    copy_return_type(&mut tokens, &mut out);
                } else if group.delimiter() == Delimiter::Brace {
                    out.extend([token.clone()]);
                } else {
                    let mut named =
                        Group::new(group.delimiter(), name_elided(group.stream(), lifetimes));
                    named.set_span(group.span());
                    out.extend([TokenTree::Group(named)]);
                }
            }
            _ => out.extend([token.clone()]),
        }
        previous_ident = match &token {
            TokenTree::Ident(ident) => Some(ident.to_string()),
            _ => None,
        };
    }
    out
}

/// After a `fn(..)` or `Fn(..)` type's parameters, its `-> R`, copied as
/// written: up to a `,` or `+` outside `<..>`, a `>` that closes an outer
/// one, or the end.
fn copy_return_type(
    tokens: &mut std::iter::Peekable<proc_macro2::token_stream::IntoIter>,
    out: &mut TokenStream,
) {
    use proc_macro2::TokenTree;
    let is = |token: Option<&TokenTree>, c: char| matches!(token, Some(TokenTree::Punct(punct)) if punct.as_char() == c);
    if !is(tokens.peek(), '-') {
        return;
    }
    let mut depth = 0usize;
    // The `-` and `>` of the arrow, then the type.
    for _ in 0..2 {
        out.extend(tokens.next());
    }
    while let Some(token) = tokens.peek() {
        match token {
            TokenTree::Punct(punct) if punct.as_char() == '<' => depth += 1,
            TokenTree::Punct(punct) if punct.as_char() == '>' => {
                if depth == 0 {
                    return;
                }
                depth -= 1;
            }
            TokenTree::Punct(punct) if matches!(punct.as_char(), ',' | '+') && depth == 0 => {
                return;
            }
            _ => {}
        }
        out.extend(tokens.next());
    }
}

/// `Companion<ALL, ANY1, ..>`, the type that carries the requirement in
/// const parameters, or `None` past the groups it carries.
fn companion_type(krate: &CratePath, requirement: &Requirement<'_>) -> Option<TokenStream> {
    if requirement.any.len() > MAX_ANY_GROUPS {
        return None;
    }
    let all = catalog::mask(requirement.all.iter().map(|scope| scope.index));
    let any = requirement
        .any
        .iter()
        .map(|group| catalog::mask(group.iter().map(|scope| scope.index)));
    Some(quote!(#krate::__private::Companion<#all #(, #any)*>))
}

/// As many `any(..)` groups as `__private::Companion` carries.
const MAX_ANY_GROUPS: usize = 4;

/// `Requirement::new(all, &[any, ..])`, as a const expression.
fn new_requirement(krate: &CratePath, requirement: &Requirement<'_>) -> TokenStream {
    let all = scope_set(krate, &requirement.all);
    let any = requirement.any.iter().map(|group| scope_set(krate, group));
    quote!(#krate::Requirement::new(#all, &[#(#any),*]))
}

/// The "Required scopes" section appended to the fn's docs, as one
/// attribute: one per line would cost the compiler more, per handler.
fn required_scopes_doc(requirement: &Requirement<'_>) -> String {
    let item = |scope: &&Scope| {
        let callers: Vec<String> = requirement
            .calls
            .iter()
            .filter(|endpoint| endpoint.scopes.contains(&scope.index))
            .map(|endpoint| format!("`{}`", endpoint.method_and_path()))
            .collect();
        let callers = if callers.is_empty() {
            String::new()
        } else {
            format!(" (for {})", callers.join(", "))
        };
        format!("- `{}`: {}{callers}\n", scope.name, scope.description)
    };
    let mut doc = String::from(REQUIRED_SCOPES_HEADING);
    doc += "Checked before the body runs; a caller without them is refused with `InsufficientScope`.\n";
    if !requirement.all.is_empty() {
        doc += "\nAll of:\n";
        doc.extend(requirement.all.iter().map(item));
    }
    for group in &requirement.any {
        doc += "\nAt least one of:\n";
        doc.extend(group.iter().map(item));
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load;

    fn error_of(args: TokenStream, item: TokenStream) -> String {
        match requires(args, item) {
            Ok(expanded) => panic!("expected an error, got {expanded}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn an_actix_route_attribute_below_is_an_error_that_says_what_to_write() {
        let error = error_of(
            quote!(read:chat),
            quote! {
                #[actix_web::get("/chats")]
                async fn list_chats(granted: Granted) -> Result<u8, InsufficientScope> { Ok(1) }
            },
        );
        assert!(
            error.contains("`#[get(..)]` makes actix-web register this fn"),
            "{error}"
        );
        assert!(error.contains("Guarded::new(list_chats)"), "{error}");
        // Another attribute that happens to be called `get` is left alone.
        let expanded = requires(
            quote!(read:chat),
            quote! {
                #[get]
                async fn list_chats(granted: Granted) -> Result<u8, InsufficientScope> { Ok(1) }
            },
        );
        assert!(expanded.is_ok());
    }

    #[test]
    fn a_tool_below_is_registered_by_its_name_and_described_by_its_own_docs() {
        let expanded = |item: TokenStream| {
            requires(quote!(read:chat), item)
                .expect("expands")
                .to_string()
        };
        let renamed = expanded(quote! {
            /// Lists the creator's chats.
            #[rmcp::tool(description = "..", name = "list-chats")]
            async fn list_chats(&self, granted: Granted) -> Result<u8, ErrorData> { Ok(1) }
        });
        assert!(renamed.contains(r#", __tool ("list-chats")"#), "{renamed}");
        assert!(
            !renamed.contains(REQUIRED_SCOPES_HEADING.trim()),
            "{renamed}"
        );
        let unnamed = expanded(quote! {
            #[tool]
            async fn list_chats(&self, granted: Granted) -> Result<u8, ErrorData> { Ok(1) }
        });
        assert!(unnamed.contains(r#", __tool ("list_chats")"#), "{unnamed}");
        // No `#[tool]` in sight: no tool name, and the docs section.
        let plain = expanded(quote! {
            async fn list_chats(granted: Granted) -> Result<u8, InsufficientScope> { Ok(1) }
        });
        assert!(!plain.contains("__tool"), "{plain}");
        assert!(plain.contains(REQUIRED_SCOPES_HEADING.trim()), "{plain}");
    }

    #[test]
    fn the_docs_name_the_endpoint_behind_each_scope() {
        let catalog = load::get().expect("the embedded scopes.toml is valid");
        let scope = |name: &str| catalog.find(name).expect("a known scope");
        let endpoint = |method, path| catalog.endpoint(method, path).expect("a known endpoint");
        let requirement = Requirement {
            all: vec![
                scope("read:self"),
                scope("read:creator"),
                scope("read:chat"),
            ],
            any: vec![vec![scope("read:fan"), scope("read:media")]],
            calls: vec![
                endpoint("GET", "/creators/{creatorUserUuid}/chats"),
                endpoint("GET", "/chats"),
            ],
        };
        let doc = required_scopes_doc(&requirement);
        assert!(doc.contains("- `read:self`: Read the connected user's own profile: basic account details and settings.\n"), "{doc}");
        assert!(
            doc.contains("(for `GET /creators/{creatorUserUuid}/chats`)\n"),
            "{doc}"
        );
        assert!(
            doc.contains("(for `GET /creators/{creatorUserUuid}/chats`, `GET /chats`)\n"),
            "{doc}"
        );
        assert!(doc.contains("\nAt least one of:\n- `read:fan`"), "{doc}");
    }
}
