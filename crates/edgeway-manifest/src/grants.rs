//! The variables a handler is given: `variables = ["name", ...]` in its entry. Handlers
//! read them through `wasi:config`, composed behind an adapter that refuses every other
//! name; each must be one of the variables the serving component passes
//! (`[component.<id>.variables]`), the only ones the host hands the composed app.
use crate::Handler;
use crate::check::Checker;

/// Checks that every variable granted to a handler is one the component passes.
pub(crate) fn check_granted_variables(
    checker: &mut Checker<'_>,
    handlers: &[Handler],
    component_variables: &[String],
    component_id: &str,
) {
    for handler in handlers {
        for name in &handler.variables {
            if !component_variables.contains(name) {
                let location = handler.location.clone();
                checker.found.push(crate::Diagnostic {
                    location,
                    message: format!(
                        "handler `{}` is given the variable `{name}`, which component `{component_id}` does not pass",
                        handler.name
                    ),
                    hint: Some(format!(
                        "add `{name} = \"{{{{ {name} }}}}\"` under [component.{component_id}.variables] (and declare `{name}` in [variables])"
                    )),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Manifest, ManifestError};

    fn manifest(grant: &str) -> Result<Manifest, ManifestError> {
        let text = format!(
            "spin_manifest_version = 2\n\
             [application]\n\
             name = \"app\"\n\
             [variables]\n\
             greeting = {{ default = \"hi\" }}\n\
             secret = {{ default = \"s\", secret = true }}\n\
             [component.gateway]\n\
             source = \"app.wasm\"\n\
             [component.gateway.variables]\n\
             greeting = \"{{{{ greeting }}}}\"\n\
             [component.gateway.tool.edgeway.handlers]\n\
             reader = {{ path = \".\"{grant} }}\n\
             [component.gateway.tool.edgeway.routes]\n\
             \"GET /\" = \"reader\"\n"
        );
        Manifest::parse("spin.toml", &text)
    }

    #[test]
    fn a_handler_is_given_only_the_variables_it_lists() {
        assert_eq!(
            manifest("").unwrap().handlers[0].variables,
            Vec::<String>::new()
        );
        let granted = manifest(", variables = [\"greeting\"]").unwrap();
        assert_eq!(granted.handlers[0].variables, ["greeting"]);
    }

    #[test]
    fn a_variable_the_component_does_not_pass_cannot_be_given() {
        // `secret` is an app variable, but the component does not pass it.
        let Err(ManifestError::Invalid(found)) = manifest(", variables = [\"secret\"]") else {
            panic!("accepted");
        };
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].location.line, found[0].location.column), (12, 1));
        assert!(
            found[0]
                .message
                .contains("handler `reader` is given the variable `secret`, which component `gateway` does not pass"),
            "{}",
            found[0].message
        );
        let hint = found[0].hint.as_deref().unwrap();
        assert!(
            hint.contains("secret = \"{{ secret }}\"")
                && hint.contains("[component.gateway.variables]"),
            "{hint}"
        );
    }
}
