//! The variables a handler is given: `variables = ["name", ...]` in its entry. Handlers
//! read them through `wasi:config`, composed behind an adapter that refuses every other
//! name; each must be one of the variables the serving component passes
//! (`[component.<id>.variables]`), the only ones the host hands the composed app.
use crate::Handler;
use crate::load::Checker;

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
