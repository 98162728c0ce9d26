//! A handler's view of the app's variables: the host's
//! `wasi:config/store@0.2.0-draft-2024-09-27`, limited to the variables spin.toml gives the
//! handler (`variables = [...]` in its entry). The gateway's own variables (API keys, JWT
//! secrets) are out of reach of every handler not given them. The composer puts one
//! instance of this component in front of each handler that imports `wasi:config`, with
//! the handler's name and variables in its grant.
#![deny(missing_docs)]

#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        inline: r#"
            package edgeway:isolation;
            world config-grant {
                import wasi:config/store@0.2.0-draft-2024-09-27;
                export wasi:config/store@0.2.0-draft-2024-09-27;
            }
        "#,
        world: "edgeway:isolation/config-grant",
        generate_all,
    });
}

use std::sync::OnceLock;

use bindings::exports::wasi::config::store::{self, Error};
use bindings::wasi::config::store as host;
use isolation_grant::Grant;

struct Granted;

fn grant() -> &'static Grant {
    static GRANT: OnceLock<Grant> = OnceLock::new();
    GRANT.get_or_init(isolation_grant::read)
}

fn error(error: host::Error) -> Error {
    match error {
        host::Error::Upstream(message) => Error::Upstream(message),
        host::Error::Io(message) => Error::Io(message),
    }
}

impl store::Guest for Granted {
    /// A granted variable's value (`none` if the app does not set it); an error that says
    /// how to grant it for any other name, so a missing grant is not mistaken for a missing
    /// value.
    fn get(key: String) -> Result<Option<String>, Error> {
        let grant = grant();
        if !grant.entries.contains(&key) {
            return Err(Error::Upstream(format!(
                "variable `{key}` is not given to handler `{}`; list it in the handler's `variables` in spin.toml",
                grant.handler
            )));
        }
        host::get(&key).map_err(error)
    }

    /// The granted variables that have a value.
    fn get_all() -> Result<Vec<(String, String)>, Error> {
        let grant = grant();
        let all = host::get_all().map_err(error)?;
        Ok(all
            .into_iter()
            .filter(|(name, _)| grant.entries.contains(name))
            .collect())
    }
}

bindings::export!(Granted with_types_in bindings);
