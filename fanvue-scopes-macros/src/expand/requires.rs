//! `#[requires(..)]`: parses the requirement, finds where the caller's
//! granted scopes come from, and puts a fail-closed guard in front of the fn
//! body.

use crate::emit::{companion_name, scope_set};
use crate::input::crate_path::CratePath;
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
    /// `in_impl`: the fn is an associated fn of an inherent `impl`, where
    /// its route companion must be an associated const, not a type alias.
    in_impl: Option<Span>,
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
                if args.in_impl.replace(keyword.span).is_some() {
                    return Err(syn::Error::new(keyword.span, "`in_impl` is given twice"));
                }
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
    let source = match args.from {
        Some(expr) => Ok(GrantedSource::Expr(expr)),
        None => find_granted_param(&mut function.sig),
    };
    let source = errors.finish_with(source)?;
    let krate = args.krate.unwrap_or_default();
    Ok(wrap(
        function,
        &krate,
        &requirement,
        source,
        args.in_impl.is_some(),
    ))
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
                 the fn with `guarded!` in `fanvue_scopes::actix::Routes`, such as \
                 `Routes::new().{method}(\"/path\", guarded!({fn_name}))`",
                method = if name == "route" || name == "routes" {
                    "get"
                } else {
                    &name
                },
                fn_name = sig.ident,
            ),
        ));
    }
    if boxed_future(&sig.output) {
        errors.push(syn::Error::new(
            sig.ident.span(),
            "`#[requires]` can't guard this fn: it returns a boxed future, as `#[async_trait]` \
             rewrites an `async fn`, so the guard has no `Result` to return its refusal in. \
             Put `#[requires]` on an inherent or free `async fn` that does the work, and call \
             it from the trait method",
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

/// `Pin<Box<dyn Future ..>>`, the return type `#[async_trait]` gives.
fn boxed_future(output: &ReturnType) -> bool {
    let ReturnType::Type(_, ty) = output else {
        return false;
    };
    let Type::Path(path) = &**ty else {
        return false;
    };
    path.path.segments.last().is_some_and(|last| {
        last.ident == "Pin" && last.to_token_stream().to_string().contains("Future")
    })
}

/// Where the return type surely is not a `Result`: none at all (`None`), or
/// a type that no alias can hide one behind. A path is left to the type
/// checker, which sees through aliases such as `ApiResult<T>`.
fn not_a_result(output: &ReturnType) -> Option<Option<Span>> {
    let ty = match output {
        ReturnType::Default => return Some(None),
        ReturnType::Type(_, ty) => &**ty,
    };
    match ty {
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
    function: Function,
    krate: &CratePath,
    requirement: &Requirement<'_>,
    source: GrantedSource,
    in_impl: bool,
) -> TokenStream {
    let Function { sig, vis, .. } = &function;
    let docs = required_scopes_doc(requirement);
    let new_requirement = new_requirement(krate, requirement);
    let name = sig.ident.to_string();
    let (attrs, inner_attrs, body) = (&function.attrs, &function.inner_attrs, &function.body);

    // The guard's names are hygienic (mixed-site), and its one item lives
    // in a block of its own. A binding in a pattern could still be taken for
    // a user's const of the same name, so it gets a name of its own.
    let mixed = Span::mixed_site();
    // A const, not a static: `&REQUIREMENT` is promoted to `'static`, and
    // the compiler makes no symbol of its own per handler.
    let requirement_const = Ident::new("REQUIREMENT", mixed);
    // A wrong return type, or a missing `From<InsufficientScope>` impl, is
    // reported on the return type.
    let output_span = match &sig.output {
        ReturnType::Type(_, ty) => mixed.located_at(ty.span()),
        ReturnType::Default => mixed,
    };
    let insufficient = Ident::new("__fanvue_scopes_insufficient", output_span);
    // Only a grant read from a `Granted` parameter is the one a route guard
    // reads from the request too.
    let (granted, rebind, companion) = match source {
        GrantedSource::Expr(expr) => (expr.into_token_stream(), None, None),
        GrantedSource::Param { ident, rebind } => (
            ident.to_token_stream(),
            rebind.map(|pattern| quote!(let #pattern = #ident;)),
            route_companion(sig, vis, krate, requirement, in_impl)
                .map(|companion| companion.unwrap_or_else(syn::Error::into_compile_error)),
        ),
    };
    let refuse = quote_spanned! {output_span=>
        return ::core::result::Result::Err(::core::convert::From::from(#insufficient))
    };

    // A free handler's companion already holds the requirement: the body
    // reads it there, which spares the compiler a second const per handler.
    let requirement = if companion.is_some() && !in_impl {
        let fn_name = &sig.ident;
        quote! {
            #krate::__private::register_handler!(#name, <#fn_name>::REQUIREMENT);
            <#fn_name>::REQUIREMENT
        }
    } else {
        quote! {
            const #requirement_const: #krate::Requirement = #new_requirement;
            #krate::__private::register_handler!(#name, &#requirement_const);
            &#requirement_const
        }
    };

    let mut block = TokenStream::new();
    function.brace.surround(&mut block, |block| {
        block.extend(quote! {
            #(#inner_attrs)*
            // `E` may be `InsufficientScope` itself.
            #[allow(clippy::useless_conversion)]
            if let ::core::result::Result::Err(#insufficient) = { #requirement }
            .check(#krate::HasScopes::granted_scopes(&(#granted)))
            {
                #refuse;
            }
            #rebind
            #body
        });
    });
    quote! {
        #(#attrs)*
        #[doc = #docs]
        #vis #sig #block
        #companion
    }
}

/// For an `async fn` handler that takes `Granted`, its route companion:
/// what `guarded!(handler)` reads the handler's requirement from, by the
/// handler's path however that is written.
///
/// A free fn's companion is a type alias of the fn's own name,
/// `Companion<ALL, ANY1, ..>`, with the requirement's masks as parameters.
/// It lives in the type namespace, where the fn does not, so
/// `use handlers::list` (or `as l`) imports both together. An alias can't
/// stand in an `impl`, so an associated fn, marked `in_impl`, gets an
/// associated const instead, which `guarded!(Chats::list)` reaches through
/// the type. A method with `self` is no route handler and gets none.
fn route_companion(
    sig: &Signature,
    vis: &Visibility,
    krate: &CratePath,
    requirement: &Requirement<'_>,
    in_impl: bool,
) -> Option<syn::Result<TokenStream>> {
    if sig.asyncness.is_none() || sig.receiver().is_some() {
        return None;
    }
    let fn_name = &sig.ident;
    if in_impl {
        // Named for the fix: in a trait impl, rustc's "not a member of
        // trait" names the macro it originates in.
        let companion = companion_name(fn_name);
        let new_requirement = new_requirement(krate, requirement);
        return Some(Ok(quote! {
            #krate::__private::a_trait_fn_cannot_be_a_guarded_handler_route_a_free_fn_that_calls_it! {
                #vis #companion [#krate] &#new_requirement
            }
        }));
    }
    if requirement.any.len() > MAX_ANY_GROUPS {
        return Some(Err(syn::Error::new(
            Span::call_site(),
            format!(
                "a route handler's `#[requires]` takes at most {MAX_ANY_GROUPS} `any(..)` groups, \
                 which its route guard carries in a type; this one has {}: require some of \
                 those scopes outright, or split the handler",
                requirement.any.len()
            ),
        )));
    }
    let all = catalog::mask(requirement.all.iter().map(|scope| scope.index));
    let any = requirement
        .any
        .iter()
        .map(|group| catalog::mask(group.iter().map(|scope| scope.index)));
    // Through a `macro_rules!` whose name is the fix: in an `impl`, where
    // an alias can't stand, rustc names the macro its errors originate in.
    Some(Ok(quote! {
        #krate::__private::in_an_impl_write_requires_with_in_impl! {
            #vis #fn_name = #krate::__private::Companion<#all #(, #any)*>
        }
    }))
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
        assert!(error.contains("guarded!(list_chats)"), "{error}");
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
