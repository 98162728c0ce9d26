//! Spin variables: the application's `[variables]` and the component's templates over them,
//! resolved the way Spin does (environment `SPIN_VARIABLE_<NAME>`, then the default).
use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Deserialize;

/// An application variable (`[variables] name = { default = "...", secret = true }`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppVariable {
    /// The value when no provider sets one.
    pub default: Option<String>,
    /// Whether a value must be provided.
    #[serde(default)]
    pub required: bool,
    /// Whether the value must never be printed.
    #[serde(default)]
    pub secret: bool,
}

/// The app's variables and the gateway component's templates over them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables {
    /// `[variables]`, by name.
    pub app: IndexMap<String, AppVariable>,
    /// `[component.<id>.variables]`: component key → template such as `"{{ api_keys }}"`.
    pub component: Vec<(String, String)>,
}

impl Variables {
    /// The application variables a template refers to, in order.
    pub fn references(template: &str) -> Vec<&str> {
        let mut names = Vec::new();
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            let Some(end) = rest[start..].find("}}") else {
                break;
            };
            names.push(rest[start + 2..start + end].trim());
            rest = &rest[start + end + 2..];
        }
        names
    }

    /// The component's variables with every template filled in. `provider` looks a variable up
    /// by its environment name (`SPIN_VARIABLE_API_KEYS` for `api_keys`), as Spin's
    /// environment provider does; the default applies otherwise.
    pub fn resolve(
        &self,
        provider: impl Fn(&str) -> Option<String>,
    ) -> Result<BTreeMap<String, String>, String> {
        let value_of = |name: &str| -> Result<String, String> {
            let variable = self
                .app
                .get(name)
                .ok_or_else(|| format!("the variable `{name}` is not declared in [variables]"))?;
            let env_name = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
            match (provider(&env_name), &variable.default) {
                (Some(value), _) => Ok(value),
                (None, Some(default)) => Ok(default.clone()),
                (None, None) => Err(format!("the variable `{name}` is required: set {env_name}")),
            }
        };
        let mut resolved = BTreeMap::new();
        for (key, template) in &self.component {
            let mut value = template.clone();
            for name in Self::references(template) {
                let replacement = value_of(name)?;
                value = replace_reference(&value, name, &replacement);
            }
            resolved.insert(key.clone(), value);
        }
        Ok(resolved)
    }
}

/// Replaces the first `{{ name }}` (any inner spacing) in `text`.
fn replace_reference(text: &str, name: &str, value: &str) -> String {
    let mut rest = text;
    let mut out = String::new();
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        if rest[start + 2..start + end].trim() == name {
            out.push_str(&rest[..start]);
            out.push_str(value);
            out.push_str(&rest[start + end + 2..]);
            return out;
        }
        out.push_str(&rest[..start + end + 2]);
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variables() -> Variables {
        let mut app = IndexMap::new();
        app.insert(
            "api_keys".into(),
            AppVariable {
                default: Some("demo=k".into()),
                required: false,
                secret: true,
            },
        );
        app.insert(
            "region".into(),
            AppVariable {
                default: None,
                required: true,
                secret: false,
            },
        );
        Variables {
            app,
            component: vec![
                ("api_keys".into(), "{{ api_keys }}".into()),
                ("where".into(), "in {{region}}!".into()),
            ],
        }
    }

    #[test]
    fn environment_beats_default_and_templates_fill_in() {
        let resolved = variables()
            .resolve(|name| match name {
                "SPIN_VARIABLE_REGION" => Some("eu".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(resolved["api_keys"], "demo=k");
        assert_eq!(resolved["where"], "in eu!");
        let overridden = variables()
            .resolve(|name| Some(format!("from {name}")))
            .unwrap();
        assert_eq!(overridden["api_keys"], "from SPIN_VARIABLE_API_KEYS");
    }

    #[test]
    fn a_required_variable_without_value_is_an_error() {
        assert_eq!(
            variables().resolve(|_| None).unwrap_err(),
            "the variable `region` is required: set SPIN_VARIABLE_REGION"
        );
    }

    #[test]
    fn references_are_found() {
        assert_eq!(Variables::references("a {{ x }} b {{y}}"), ["x", "y"]);
        assert!(Variables::references("plain").is_empty());
    }
}
