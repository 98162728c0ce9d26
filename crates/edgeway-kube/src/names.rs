//! Kubernetes names. A SpinApp's name is also its Service's, so it must be a DNS-1035 label:
//! at most 63 lowercase letters, digits and `-`, starting with a letter, not ending in `-`.
use crate::KubeError;

/// The longest name a Service may have.
const LONGEST: usize = 63;

/// A name made from the app's (`My_Shop` → `my-shop`).
pub(crate) fn from_app_name(app: &str) -> String {
    let mut name = String::new();
    for c in app.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_end_matches('-');
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.to_owned()
    } else {
        format!("app-{name}").trim_end_matches('-').to_owned()
    }
}

/// Checks that Kubernetes takes `name` as a SpinApp's (and so its Service's) name.
pub fn check_name(name: &str) -> Result<(), KubeError> {
    let valid = !name.is_empty()
        && name.len() <= LONGEST
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(KubeError::Name(format!(
            "`{name}` cannot name a SpinApp: a name has at most {LONGEST} lowercase letters, digits and `-`, starts with a letter and does not end with `-` (choose one with --name)"
        )))
    }
}
