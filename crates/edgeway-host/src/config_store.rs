//! Spin's config interface, `wasi:config/store@0.2.0-draft-2024-09-27`:
//! the component's variables, already resolved by the caller (the CLI
//! resolves spin.toml `[variables]` and `SPIN_VARIABLE_*`).
//!
//! As in Spin, `get` of an unknown (or invalid) name is `ok(none)`, and
//! `get-all` lists every variable. The WIT is in
//! `wit/wasi-runtime-config-2024-09-27`.

use std::collections::BTreeMap;

use wasmtime::component::{HasData, Linker};

/// Host bindings generated from the vendored WIT.
mod bindings {
    wasmtime::component::bindgen!({
        path: "wit/wasi-runtime-config-2024-09-27",
        world: "wasi:config/imports",
    });
}

use bindings::wasi::config::store::{self, Error};

/// The resolved variables of one component, by name.
pub(crate) type Variables = BTreeMap<String, String>;

/// What the config host functions read.
pub(crate) struct ConfigView<'a>(pub(crate) &'a Variables);

impl store::Host for ConfigView<'_> {
    fn get(&mut self, key: String) -> Result<Option<String>, Error> {
        Ok(self.0.get(&key).cloned())
    }

    fn get_all(&mut self) -> Result<Vec<(String, String)>, Error> {
        Ok(self
            .0
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect())
    }
}

struct HasConfig;

impl HasData for HasConfig {
    type Data<'a> = ConfigView<'a>;
}

/// Adds `wasi:config/store@0.2.0-draft-2024-09-27` to `linker`.
pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> ConfigView<'_>,
) -> wasmtime::Result<()> {
    bindings::Imports::add_to_linker::<T, HasConfig>(linker, view)
}

#[cfg(test)]
mod tests {
    use super::store::Host;
    use super::*;

    #[test]
    fn get_and_get_all_read_the_variables() {
        let variables = Variables::from([
            ("api_url".to_owned(), "https://example.com".to_owned()),
            ("greeting".to_owned(), "hi".to_owned()),
        ]);
        let mut view = ConfigView(&variables);
        assert_eq!(view.get("greeting".into()).unwrap().as_deref(), Some("hi"));
        assert_eq!(view.get("missing".into()).unwrap(), None);
        assert_eq!(view.get("Not-Valid".into()).unwrap(), None);
        assert_eq!(
            view.get_all().unwrap(),
            [
                ("api_url".to_owned(), "https://example.com".to_owned()),
                ("greeting".to_owned(), "hi".to_owned()),
            ]
        );
    }
}
