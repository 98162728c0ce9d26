use std::fmt;

/// A set of HTTP methods a route accepts.
///
/// A set that contains `GET` also accepts `HEAD` requests. [`Methods::ANY`] is the eight
/// methods an OpenAPI 3.1 document can describe (`GET`, `HEAD`, `POST`, `PUT`, `DELETE`,
/// `PATCH`, `OPTIONS`, `TRACE`): `CONNECT` and extension methods (`QUERY`, `PROPFIND`)
/// reach no route, so a route never takes a request its API document does not list.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Methods(u16);

const NAMES: [(&str, Methods); 9] = [
    ("GET", Methods::GET),
    ("HEAD", Methods::HEAD),
    ("POST", Methods::POST),
    ("PUT", Methods::PUT),
    ("DELETE", Methods::DELETE),
    ("PATCH", Methods::PATCH),
    ("OPTIONS", Methods::OPTIONS),
    ("CONNECT", Methods::CONNECT),
    ("TRACE", Methods::TRACE),
];

/// The bit standing for every method without a constant of its own: no route accepts it.
const EXTENSION: u16 = 1 << 15;

impl Methods {
    /// No method.
    pub const NONE: Methods = Methods(0);
    /// `GET` (and so `HEAD`).
    pub const GET: Methods = Methods(1);
    /// `HEAD`.
    pub const HEAD: Methods = Methods(1 << 1);
    /// `POST`.
    pub const POST: Methods = Methods(1 << 2);
    /// `PUT`.
    pub const PUT: Methods = Methods(1 << 3);
    /// `DELETE`.
    pub const DELETE: Methods = Methods(1 << 4);
    /// `PATCH`.
    pub const PATCH: Methods = Methods(1 << 5);
    /// `OPTIONS`.
    pub const OPTIONS: Methods = Methods(1 << 6);
    /// `CONNECT`.
    pub const CONNECT: Methods = Methods(1 << 7);
    /// `TRACE`.
    pub const TRACE: Methods = Methods(1 << 8);
    /// Every method an API document can list: all of the above but `CONNECT`.
    pub const ANY: Methods = Methods(0x1ff & !Methods::CONNECT.0);

    /// The method named `name` (uppercase, as on the wire), or `None` for an extension
    /// method, which no route accepts.
    ///
    /// ```
    /// # use edgeway_router::Methods;
    /// assert_eq!(Methods::from_name("POST"), Some(Methods::POST));
    /// assert_eq!(Methods::from_name("PROPFIND"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Methods> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
    }

    /// Both sets together.
    pub const fn union(self, other: Methods) -> Methods {
        Methods(self.0 | other.0)
    }

    /// The methods in both sets.
    pub const fn intersection(self, other: Methods) -> Methods {
        Methods(self.0 & other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether a request with this method (as on the wire) is accepted.
    ///
    /// ```
    /// # use edgeway_router::Methods;
    /// assert!(Methods::GET.accepts("HEAD"));
    /// assert!(!Methods::GET.accepts("POST"));
    /// assert!(Methods::ANY.accepts("TRACE"));
    /// assert!(!Methods::ANY.accepts("PROPFIND"));
    /// assert!(!Methods::ANY.accepts("CONNECT"));
    /// ```
    pub fn accepts(self, method: &str) -> bool {
        !self.intersection(Methods::wanted(method)).is_empty()
    }

    /// The methods of which a route needs one to accept a request with this method.
    pub(crate) fn wanted(method: &str) -> Methods {
        match Methods::from_name(method) {
            Some(Methods::HEAD) => Methods::HEAD.union(Methods::GET),
            Some(known) => known,
            None => Methods(EXTENSION),
        }
    }

    /// The set as an `Allow` header value would list it: `HEAD` added wherever `GET` is.
    pub fn allowed(self) -> Methods {
        if self.intersection(Methods::GET).is_empty() {
            self
        } else {
            self.union(Methods::HEAD)
        }
    }

    /// The names of the methods in the set, in a fixed order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        NAMES
            .iter()
            .filter(move |(_, m)| !self.intersection(*m).is_empty())
            .map(|(n, _)| *n)
    }

    /// The method names joined by `, `, as the `Allow` header lists them (`ANY` spelled out).
    ///
    /// ```
    /// # use edgeway_router::Methods;
    /// assert_eq!(Methods::ANY.to_string(), "ANY");
    /// assert_eq!(
    ///     Methods::ANY.allow_header(),
    ///     "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, TRACE"
    /// );
    /// ```
    pub fn allow_header(self) -> String {
        self.names().collect::<Vec<_>>().join(", ")
    }
}

/// `ANY`, or the method names joined by `, ` (the `Allow` header's syntax).
impl fmt::Display for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Methods::ANY {
            return f.write_str("ANY");
        }
        for (i, name) in self.names().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Methods({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_lists_names_in_fixed_order() {
        assert_eq!(Methods::POST.union(Methods::GET).to_string(), "GET, POST");
        assert_eq!(Methods::ANY.to_string(), "ANY");
        assert_eq!(Methods::NONE.to_string(), "");
    }

    #[test]
    fn allowed_adds_head_to_get() {
        assert_eq!(Methods::GET.allowed().to_string(), "GET, HEAD");
        assert_eq!(Methods::POST.allowed(), Methods::POST);
    }

    #[test]
    fn method_names_are_case_sensitive() {
        assert_eq!(Methods::from_name("get"), None);
        assert!(!Methods::GET.accepts("get"));
    }
}
