//! Endpoints as written in macro input (`GET "/chats/{userUuid}/messages"`)
//! and their check against the catalog, with the diagnostics `endpoint!`
//! and `#[requires(calls(..))]` share.

use crate::input::errors::Errors;
use crate::model::catalog::{self, Catalog, Endpoint, Suggestion};
use crate::model::load;
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::{Ident, LitStr};

/// A method and a path template, and the tokens they were written with.
pub struct EndpointRef {
    method: Ident,
    path: LitStr,
}

impl EndpointRef {
    pub fn parse(input: ParseStream) -> syn::Result<Self> {
        if !input.peek(Ident::peek_any) {
            return Err(input.error(
                "expected an endpoint: an HTTP method and a path template, such as `GET \"/chats\"`",
            ));
        }
        let method = input.call(Ident::parse_any)?;
        if !input.peek(LitStr) {
            return Err(input.error(format!(
                "expected the path template after `{method}`, as a string: `{method} \"/chats\"`"
            )));
        }
        let path = input.parse()?;
        Ok(EndpointRef { method, path })
    }

    /// The catalog entry, or an error on the tokens at fault that says
    /// what to write instead.
    pub fn resolve<'c>(&self, catalog: &'c Catalog) -> syn::Result<&'c Endpoint> {
        let method = self.method.to_string();
        let path = self.path.value();
        if let Some(problem) = catalog::method_error(&method, &format!("`{method}`")) {
            return Err(syn::Error::new(self.method.span(), problem));
        }
        if let Some(endpoint) = catalog.endpoint(&method, &path) {
            return Ok(endpoint);
        }
        let methods: Vec<&str> = catalog
            .endpoints_at(&path)
            .map(|endpoint| endpoint.method.as_str())
            .collect();
        if !methods.is_empty() {
            // `POST /chats/{userUuid}/messages` for `.../message`: a near
            // template that has the method is the likelier intent.
            let same_method = catalog
                .endpoints
                .iter()
                .filter(|endpoint| endpoint.method == method)
                .map(|endpoint| endpoint.path.as_str());
            let near = match catalog::suggest(&path, same_method) {
                Suggestion::OtherCase(near) | Suggestion::Similar(near) => {
                    format!("; did you mean `{method} {near}`?")
                }
                Suggestion::None => String::new(),
            };
            return Err(syn::Error::new(
                self.method.span(),
                format!(
                    "`{path}` has no `{method}` endpoint; it has {}{near}",
                    quoted(&methods)
                ),
            ));
        }
        let without_query = path.split(['?', '#']).next().unwrap_or_default();
        if let Some(template) = catalog.template_of(without_query) {
            let what = if without_query.len() < path.len() {
                "a template has no query string or fragment"
            } else {
                "it is a concrete path"
            };
            return Err(self.path_error(format!(
                "`{path}` is not a template: {what}; write {}",
                template_with_method(catalog, template, &method)
            )));
        }
        let paths = catalog
            .endpoints
            .iter()
            .map(|endpoint| endpoint.path.as_str());
        Err(
            self.path_error(match catalog::suggest(without_query, paths) {
                Suggestion::OtherCase(template) | Suggestion::Similar(template) => format!(
                    "unknown endpoint `{method} {path}`; did you mean {}?",
                    template_with_method(catalog, template, &method)
                ),
                Suggestion::None => format!(
                    "unknown endpoint `{method} {path}`: {} has no template like it; \
                 the `Endpoint` docs list them all",
                    load::FILE_NAME
                ),
            }),
        )
    }

    fn path_error(&self, message: String) -> syn::Error {
        syn::Error::new(self.path.span(), message)
    }
}

/// `` `GET /chats` `` if the template has `method`, else the template with
/// the methods it has.
fn template_with_method(catalog: &Catalog, template: &str, method: &str) -> String {
    let methods: Vec<&str> = catalog
        .endpoints_at(template)
        .map(|endpoint| endpoint.method.as_str())
        .collect();
    if methods.contains(&method) {
        format!("`{method} {template}`")
    } else {
        format!("`{template}` (it has {})", quoted(&methods))
    }
}

fn quoted(methods: &[&str]) -> String {
    let methods: Vec<String> = methods.iter().map(|method| format!("`{method}`")).collect();
    methods.join(", ")
}

/// Resolves every endpoint, reporting unknown ones and repeats together.
pub fn resolve_all<'a, 'c>(
    refs: impl IntoIterator<Item = &'a EndpointRef>,
    catalog: &'c Catalog,
    errors: &mut Errors,
) -> Vec<&'c Endpoint> {
    let mut resolved: Vec<&'c Endpoint> = Vec::new();
    for endpoint_ref in refs {
        match endpoint_ref.resolve(catalog) {
            Ok(endpoint) if resolved.iter().any(|seen| seen.variant == endpoint.variant) => {
                errors.push(syn::Error::new(
                    endpoint_ref.path.span(),
                    format!("duplicate endpoint `{}`", endpoint.method_and_path()),
                ));
            }
            Ok(endpoint) => resolved.push(endpoint),
            Err(error) => errors.push(error),
        }
    }
    resolved
}
