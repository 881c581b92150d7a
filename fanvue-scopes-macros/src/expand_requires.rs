//! `#[requires(..)]`: parses the requirement, finds where the granted scopes
//! come from, and puts a fail-closed guard in front of the fn body.

use crate::catalog::{Catalog, Scope};
use crate::expand_scopes::scope_set;
use crate::scope_name::{self, Errors, ScopeName};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, FnArg, Ident, Pat, ReturnType, Signature, Stmt, Token, Type, Visibility, token,
};

syn::custom_keyword!(from);

/// The attribute's arguments as written.
#[derive(Default)]
struct Args {
    all: Vec<ScopeName>,
    any: Vec<AnyGroup>,
    from: Option<Expr>,
}

/// `any(read:fan, read:creator)`: one of these is enough.
struct AnyGroup {
    span: Span,
    names: Vec<ScopeName>,
}

/// The annotated fn. Its body stays unparsed tokens: the guard goes in
/// front of it, and parsing every handler's body would only slow builds.
struct Function {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    body: TokenStream,
}

impl syn::parse::Parse for Function {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let content;
        syn::braced!(content in input);
        let body = content.parse()?;
        Ok(Function {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

/// The checked requirement.
struct Requirement<'c> {
    all: Vec<&'c Scope>,
    any: Vec<Vec<&'c Scope>>,
}

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(args, item.clone()) {
        Ok(expanded) => expanded,
        // Keep the fn, so that the only errors are ours, not "cannot find
        // fn" at its callers, nor warnings about the parameter we never read.
        Err(error) => {
            let error = error.into_compile_error();
            quote!(#error #[allow(unused)] #item)
        }
    }
}

fn try_expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let catalog = scope_name::catalog(Span::call_site())?;
    let args = parse_args.parse2(args)?;
    let mut function: Function = syn::parse2(item).map_err(|error| {
        syn::Error::new(
            error.span(),
            "`#[requires]` goes on a fn with a body, such as an axum or actix-web handler",
        )
    })?;

    let mut errors = Errors::default();
    let requirement = check_requirement(&args, catalog, &mut errors);
    if !returns_result(&function.sig.output) {
        errors.push(return_type_error(&function.sig));
    }
    let source = match &args.from {
        Some(expr) => Ok(GrantedSource {
            expr: quote!(#expr),
            rebind: None,
        }),
        None => find_granted_param(&mut function.sig),
    };
    let source = errors.finish_with(source)?;
    Ok(wrap(function, &requirement, source))
}

fn parse_args(input: ParseStream) -> syn::Result<Args> {
    let mut args = Args::default();
    while !input.is_empty() {
        if input.peek(Ident::peek_any) && input.peek2(token::Paren) {
            let keyword = input.call(Ident::parse_any)?;
            if keyword != "any" {
                return Err(syn::Error::new(
                    keyword.span(),
                    format!(
                        "unknown group `{keyword}(..)`; write `any(..)` for scopes of which one is enough"
                    ),
                ));
            }
            let content;
            let paren = syn::parenthesized!(content in input);
            let names = Punctuated::<ScopeName, Token![,]>::parse_terminated_with(
                &content,
                ScopeName::parse,
            )?;
            args.any.push(AnyGroup {
                span: paren.span.join(),
                names: names.into_iter().collect(),
            });
        } else if input.peek(from) && input.peek2(Token![=]) {
            let keyword: from = input.parse()?;
            input.parse::<Token![=]>()?;
            let expr: Expr = input.parse()?;
            if args.from.is_some() {
                return Err(syn::Error::new(keyword.span, "`from = ..` is given twice"));
            }
            args.from = Some(expr);
        } else {
            args.all.push(ScopeName::parse(input)?);
        }
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
    }
    Ok(args)
}

fn check_requirement<'c>(
    args: &Args,
    catalog: &'c Catalog,
    errors: &mut Errors,
) -> Requirement<'c> {
    if args.all.is_empty() && args.any.is_empty() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`#[requires]` needs at least one scope, such as `#[requires(read:chat)]`; \
             an empty requirement would guard nothing",
        ));
    }
    let all = scope_name::resolve_all(&args.all, catalog, errors);
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
                        "duplicate scope `{}`: it is already required on its own, so listing it in `any(..)` changes nothing",
                        scope.name
                    )));
                }
            }
            scopes
        })
        .collect();
    Requirement { all, any }
}

/// `Result<T, E>` under any path (`std::io::Result<T>`, an alias such as
/// `ApiResult<T>`): the last segment ends in `Result` and takes arguments.
fn returns_result(output: &ReturnType) -> bool {
    let ReturnType::Type(_, ty) = output else {
        return false;
    };
    let mut ty = &**ty;
    while let Type::Paren(syn::TypeParen { elem, .. }) | Type::Group(syn::TypeGroup { elem, .. }) =
        ty
    {
        ty = elem;
    }
    let Type::Path(path) = ty else {
        return false;
    };
    path.path.segments.last().is_some_and(|segment| {
        segment.ident.to_string().ends_with("Result")
            && matches!(segment.arguments, syn::PathArguments::AngleBracketed(_))
    })
}

fn return_type_error(sig: &Signature) -> syn::Error {
    let message = "`#[requires]` returns `Err(InsufficientScope)` when a scope is missing, \
                   so the fn must return `Result<T, E>` where `E: From<InsufficientScope>`";
    match &sig.output {
        ReturnType::Type(_, ty) => syn::Error::new_spanned(ty, message),
        ReturnType::Default => syn::Error::new(sig.ident.span(), message),
    }
}

/// Where the guard reads the granted scopes from.
struct GrantedSource {
    /// An expression whose type implements `HasScopes`.
    expr: TokenStream,
    /// Restores a destructuring pattern that had to be replaced by a name.
    rebind: Option<Stmt>,
}

fn find_granted_param(sig: &mut Signature) -> syn::Result<GrantedSource> {
    let candidates: Vec<usize> = sig
        .inputs
        .iter()
        .enumerate()
        .filter_map(|(index, arg)| match arg {
            FnArg::Typed(typed) if carries_scopes(&typed.ty) => Some(index),
            _ => None,
        })
        .collect();
    let index = match candidates.as_slice() {
        [index] => *index,
        [] => {
            return Err(syn::Error::new(
                sig.ident.span(),
                "`#[requires]` can't find the caller's granted scopes: add a parameter of type \
                 `Granted` (or `ScopeSet`, `&ScopeSet`), or name them with \
                 `#[requires(.., from = expr)]` where `expr` implements `HasScopes`",
            ));
        }
        [first, second, ..] => {
            let (first, second) = (&sig.inputs[*first], &sig.inputs[*second]);
            return Err(syn::Error::new_spanned(
                second,
                format!(
                    "`#[requires]` found two parameters that could carry the granted scopes, \
                     `{first}` and `{second}`: name the one to check, such as `from = {first}`",
                    first = param_name(first),
                    second = param_name(second),
                ),
            ));
        }
    };
    let Some(FnArg::Typed(param)) = sig.inputs.iter_mut().nth(index) else {
        return Err(syn::Error::new(
            sig.ident.span(),
            "granted-scopes parameter vanished",
        ));
    };
    if let Pat::Ident(pat) = &*param.pat {
        if pat.by_ref.is_none() && pat.subpat.is_none() {
            let ident = &pat.ident;
            return Ok(GrantedSource {
                expr: quote!(#ident),
                rebind: None,
            });
        }
    }
    // `Granted(scopes): Granted`: bind the whole value to a name for the
    // guard, then destructure it as written.
    let name = format_ident!("__fanvue_scopes_granted");
    let pattern = std::mem::replace(&mut *param.pat, syn::parse_quote!(#name));
    Ok(GrantedSource {
        expr: quote!(#name),
        rebind: Some(syn::parse_quote!(let #pattern = #name;)),
    })
}

/// `granted` for `granted: Granted`, the whole pattern for anything fancier.
fn param_name(arg: &FnArg) -> String {
    match arg {
        FnArg::Typed(typed) => typed.pat.to_token_stream().to_string(),
        FnArg::Receiver(_) => "self".to_owned(),
    }
}

/// `Granted`, `ScopeSet`, a path ending in either, or a reference to one.
fn carries_scopes(ty: &Type) -> bool {
    match ty {
        Type::Reference(reference) => carries_scopes(&reference.elem),
        Type::Paren(paren) => carries_scopes(&paren.elem),
        Type::Group(group) => carries_scopes(&group.elem),
        Type::Path(path) if path.qself.is_none() => path.path.segments.last().is_some_and(|last| {
            last.arguments.is_none() && (last.ident == "Granted" || last.ident == "ScopeSet")
        }),
        _ => false,
    }
}

fn wrap(function: Function, requirement: &Requirement<'_>, source: GrantedSource) -> TokenStream {
    let docs = required_scopes_doc(requirement);
    let all = scope_set(&requirement.all);
    let any = requirement.any.iter().map(|group| scope_set(group));
    let Function {
        attrs,
        vis,
        sig,
        body,
    } = function;
    let name = sig.ident.to_string();
    let GrantedSource { expr, rebind } = source;
    // A missing `From<InsufficientScope>` impl is reported on the return type.
    let output_span = match &sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => Span::call_site(),
    };
    let convert = quote_spanned!(output_span=> ::core::convert::From::from(insufficient));
    quote! {
        #(#attrs)*
        #[doc = #docs]
        #vis #sig {
            static __FANVUE_SCOPES_REQUIREMENT: ::fanvue_scopes::Requirement =
                ::fanvue_scopes::Requirement::new(#all, &[#(#any),*]);
            ::fanvue_scopes::__register_handler!(#name, &__FANVUE_SCOPES_REQUIREMENT);
            // `E` may be `InsufficientScope` itself.
            #[allow(clippy::useless_conversion)]
            if let ::core::result::Result::Err(insufficient) = __FANVUE_SCOPES_REQUIREMENT
                .check(::fanvue_scopes::HasScopes::granted_scopes(&#expr))
            {
                return ::core::result::Result::Err(#convert);
            }
            #rebind
            #body
        }
    }
}

/// The "Required scopes" section appended to the fn's docs, as one
/// attribute: one per line would cost the compiler more, per handler.
fn required_scopes_doc(requirement: &Requirement<'_>) -> String {
    let item = |scope: &&Scope| format!("- `{}`: {}\n", scope.name, scope.description);
    let mut doc = String::from(
        "\n# Required scopes\n\n\
         Checked before the body runs; a caller without them is refused with `InsufficientScope`.\n",
    );
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
