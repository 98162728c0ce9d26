//! `ROUTES` and `TARGETS`, and the CORS settings and compiled schemas their rows point at.
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use super::policy::{cors_expr, methods_expr, policy_expr};
use crate::{Manifest, RouteMeta};

/// The route table in priority order, each route's handler and policies in the same order,
/// then the `CORS_<row>` and `SCHEMAS_<row>` statics the rows refer to.
pub(super) fn routes_and_targets(manifest: &Manifest) -> TokenStream {
    let router = manifest.router();
    let count = Literal::usize_unsuffixed(router.routes().len());
    let routes = router.routes().iter().enumerate().map(|(index, route)| {
        let methods = methods_expr(route.methods);
        let pattern = route.pattern;
        let value = Literal::usize_unsuffixed(index);
        quote!(edgeway_router::Route { methods: #methods, pattern: #pattern, value: #value })
    });
    // The `schemas` field exists only in gateways built with validation, which are those of
    // apps with a schema (build.rs checks).
    let validates = manifest.gateway_features().contains(&"validation");
    let (mut cors, mut validators) = (TokenStream::new(), TokenStream::new());
    let mut targets = Vec::new();
    for (index, route) in router.routes().iter().enumerate() {
        let decl = &manifest.routes[route.value];
        let handler = manifest
            .handler_index(&decl.handler)
            .map(Literal::usize_unsuffixed)
            .expect("validated on load");
        let cors_ref = decl.settings.cors.as_ref().map(|settings| {
            let name = format_ident!("CORS_{}", index);
            let value = cors_expr(settings);
            cors.extend(quote!(static #name: edgeway_policy::cors::Cors<'static> = #value;));
            quote!(&#name)
        });
        let policy = policy_expr(&decl.settings, super::option(cors_ref));
        let schemas = if !validates {
            None
        } else if decl.meta.validates() {
            validators.extend(schemas(index, &decl.meta));
            let name = format_ident!("SCHEMAS_{}", index);
            Some(quote!(, schemas: Some(&#name)))
        } else {
            Some(quote!(, schemas: None))
        };
        targets.push(quote!(crate::Target { handler: #handler, policy: #policy #schemas }));
    }
    quote! {
        /// The routes, most specific first; each value indexes `TARGETS`.
        pub static ROUTES: [edgeway_router::Route<'static, usize>; #count] = [#(#routes,)*];

        /// Each route's handler and policies, in the order of `ROUTES`.
        pub static TARGETS: [crate::Target; #count] = [#(#targets,)*];

        #cors
        #validators
    }
}

/// The route's schemas, compiled into Rust code by the `jsonschema::validator` macro, and the
/// `RouteSchemas` that points at them.
fn schemas(index: usize, meta: &RouteMeta) -> TokenStream {
    let mut validators = TokenStream::new();
    let mut check = |schema: &Option<Value>, name: &str| {
        let schema = schema.as_ref()?;
        let validator = format_ident!("{}{}", name, index);
        let text = super::raw_str(&schema.to_string());
        validators.extend(quote! {
            #[jsonschema::validator(schema = #text)]
            struct #validator;
        });
        Some(quote! {
            |value, place, errors| crate::validate::collect(#validator::iter_errors(value), place, errors)
        })
    };
    let body = super::option(check(&meta.body_schema, "Body"));
    let query = super::option(check(&meta.query_schema, "Query"));
    // The path's parameters are checked as one object, each under its name.
    let params_schema = (!meta.params.is_empty())
        .then(|| serde_json::json!({ "type": "object", "properties": meta.params }));
    let params = super::option(check(&params_schema, "Params"));
    let query_properties = meta
        .query_schema
        .as_ref()
        .and_then(|schema| schema.get("properties")?.as_object());
    let query_kinds = kinds(query_properties.into_iter().flatten());
    let param_kinds = kinds(meta.params.iter());
    let name = format_ident!("SCHEMAS_{}", index);
    quote! {
        #validators
        static #name: crate::validate::RouteSchemas = crate::validate::RouteSchemas {
            body: #body,
            query: #query,
            query_kinds: #query_kinds,
            params: #params,
            param_kinds: #param_kinds
        };
    }
}

/// `&[("name", Kind), ...]`: how the gateway reads each named parameter's text.
fn kinds<'a>(properties: impl Iterator<Item = (&'a String, &'a Value)>) -> TokenStream {
    let kinds = properties.map(|(name, property)| {
        let kind = kind_expr(property);
        quote!((#name, #kind))
    });
    quote!(&[#(#kinds),*])
}

/// How the gateway reads a query parameter of this schema.
fn kind_expr(property: &Value) -> TokenStream {
    let kind =
        |schema: Option<&Value>| match schema.and_then(|s| s.get("type")).and_then(Value::as_str) {
            Some("integer") => quote!(Integer),
            Some("number") => quote!(Number),
            Some("boolean") => quote!(Boolean),
            _ => quote!(Text),
        };
    match property.get("type").and_then(Value::as_str) {
        Some("array") => {
            let item = kind(property.get("items"));
            quote!(crate::validate::Kind::List(&crate::validate::Kind::#item))
        }
        _ => {
            let kind = kind(Some(property));
            quote!(crate::validate::Kind::#kind)
        }
    }
}
