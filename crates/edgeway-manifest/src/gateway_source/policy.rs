//! Policies as Rust expressions: route methods, CORS, auth, rate limits, the credentials the
//! gateway checks, and who may read the API docs.
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::{option, strs};
use crate::Manifest;
use crate::policies::{AuthDecl, CorsDecl, RateKeyDecl, RouteSettings};

/// `edgeway_router::Methods::GET.union(edgeway_router::Methods::POST)`, or `…::ANY`.
pub(super) fn methods_expr(methods: edgeway_router::Methods) -> TokenStream {
    if methods == edgeway_router::Methods::ANY {
        return quote!(edgeway_router::Methods::ANY);
    }
    let mut names = methods.names().map(|name| {
        let name = format_ident!("{}", name);
        quote!(edgeway_router::Methods::#name)
    });
    let first = names.next().expect("routes accept at least one method");
    names.fold(first, |all, method| quote!(#all.union(#method)))
}

/// The CORS settings, with methods in upper case and header names in lower case.
pub(super) fn cors_expr(cors: &CorsDecl) -> TokenStream {
    let cased = |values: &[String], case: fn(&str) -> String| {
        strs(&values.iter().map(|v| case(v)).collect::<Vec<_>>())
    };
    let origins = strs(&cors.origins);
    let methods = cased(&cors.methods, str::to_ascii_uppercase);
    let headers = cased(&cors.headers, str::to_ascii_lowercase);
    let expose = cased(&cors.expose, str::to_ascii_lowercase);
    let credentials = cors.credentials;
    let max_age = option(cors.max_age.map(Literal::u32_unsuffixed));
    quote! {
        edgeway_policy::cors::Cors {
            origins: #origins,
            methods: #methods,
            headers: #headers,
            expose: #expose,
            credentials: #credentials,
            max_age: #max_age
        }
    }
}

/// A route's policies; `cors` is `None` or a reference to its `CORS_<row>` static.
pub(super) fn policy_expr(settings: &RouteSettings, cors: TokenStream) -> TokenStream {
    let auth = match &settings.auth {
        AuthDecl::None => quote!(edgeway_policy::Auth::None),
        AuthDecl::ApiKey => quote!(edgeway_policy::Auth::ApiKey),
        AuthDecl::Jwt { scopes } => {
            let scopes = strs(scopes);
            quote!(edgeway_policy::Auth::Jwt { scopes: #scopes })
        }
    };
    let rate_limit = option(settings.rate_limit.map(|limit| {
        let key = match limit.key {
            RateKeyDecl::Client => quote!(ClientAddr),
            RateKeyDecl::ApiKey => quote!(ApiKey),
            RateKeyDecl::Subject => quote!(Subject),
        };
        let requests = Literal::u32_unsuffixed(limit.requests);
        let window_seconds = Literal::u32_unsuffixed(limit.window_seconds);
        quote! {
            edgeway_policy::rate_limit::RateLimit {
                requests: #requests,
                window_seconds: #window_seconds,
                key: edgeway_policy::rate_limit::RateKey::#key
            }
        }
    }));
    let body_limit = Literal::u64_unsuffixed(settings.body_limit);
    let access_log = settings.access_log;
    quote! {
        edgeway_policy::RoutePolicy {
            body_limit: #body_limit,
            auth: #auth,
            rate_limit: #rate_limit,
            cors: #cors,
            access_log: #access_log
        }
    }
}

/// `API_KEY` and `JWT`, for gateways built with those policies.
pub(super) fn credentials(manifest: &Manifest) -> TokenStream {
    let features = manifest.gateway_features();
    let api_key = manifest
        .api_key
        .as_ref()
        .filter(|_| features.contains(&"api-key"))
        .map(|api_key| {
            let header = api_key.header.to_ascii_lowercase();
            let query = option(api_key.query.as_deref());
            let keys = &api_key.keys;
            quote! {
                /// Where callers present API keys, and the variable holding the keys.
                pub const API_KEY: (edgeway_policy::api_key::KeySource<'static>, &str) = (
                    edgeway_policy::api_key::KeySource { header: #header, query: #query },
                    #keys
                );
            }
        });
    let jwt = manifest
        .jwt
        .as_ref()
        .filter(|_| features.contains(&"jwt"))
        .map(|jwt| {
            let secret = option(jwt.secret.as_deref());
            let jwks = option(jwt.jwks.as_deref());
            let issuer = option(jwt.issuer.as_deref());
            let audience = option(jwt.audience.as_deref());
            let leeway = Literal::u64_unsuffixed(jwt.leeway);
            quote! {
                /// How JWTs are checked.
                pub const JWT: crate::auth::JwtSettings = crate::auth::JwtSettings {
                    secret_variable: #secret,
                    jwks_variable: #jwks,
                    issuer: #issuer,
                    audience: #audience,
                    leeway: #leeway
                };
            }
        });
    quote!(#api_key #jwt)
}

/// Where the OpenAPI document and the docs page are served, who may read them, and the two
/// texts, which the gateway's build script writes beside this file.
pub(super) fn api_docs(manifest: &Manifest) -> TokenStream {
    let api = &manifest.api;
    let settings = RouteSettings {
        auth: api.auth.clone(),
        cors: None,
        rate_limit: None,
        body_limit: 0,
        access_log: manifest.access_log,
    };
    let policy = policy_expr(&settings, quote!(None));
    let openapi_path = option(api.openapi_path.as_deref());
    let docs_path = option(api.docs_path.as_deref());
    let include = |on: bool, file: &str| {
        let file = format!("/{file}");
        if on {
            quote!(include_str!(concat!(env!("OUT_DIR"), #file)))
        } else {
            quote!("")
        }
    };
    let openapi = include(api.openapi_path.is_some(), "openapi.json");
    let docs_html = include(api.docs_path.is_some(), "docs.html");
    quote! {
        /// Where the OpenAPI document and the docs page are served, if they are.
        pub const OPENAPI_PATH: Option<&str> = #openapi_path;
        pub const DOCS_PATH: Option<&str> = #docs_path;
        /// Who may read them.
        pub static DESCRIBE_POLICY: edgeway_policy::RoutePolicy<'static> = #policy;
        /// The OpenAPI document (`edgeway openapi`), and the docs page.
        pub const OPENAPI: &str = #openapi;
        pub const DOCS_HTML: &str = #docs_html;
    }
}
