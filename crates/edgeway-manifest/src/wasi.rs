//! Which WASI HTTP interface the composed app exports, and so which hosts run it.
use std::fmt;
use std::str::FromStr;

/// The app's `wasi:http` version (`[component.<id>.tool.edgeway] wasi = "0.2"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wasi {
    /// `wasi:http/incoming-handler@0.2`: every Spin since 2, Fermyon Cloud, SpinKube and any
    /// wasi:http host; a fresh instance per request.
    #[default]
    P2,
    /// `wasi:http/handler@0.3.0`: Spin 4.1 and later, which reuse an instance across
    /// requests, one after another and concurrently.
    P3,
}

impl Wasi {
    /// The gateway's cargo feature for this HTTP edge.
    pub fn gateway_feature(self) -> &'static str {
        match self {
            Wasi::P2 => "wasip2",
            Wasi::P3 => "wasip3",
        }
    }

    /// The prefix of the HTTP export a component built for this version has.
    pub fn http_export(self) -> &'static str {
        match self {
            Wasi::P2 => "wasi:http/incoming-handler@0.2",
            Wasi::P3 => "wasi:http/handler@0.3",
        }
    }
}

impl fmt::Display for Wasi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Wasi::P2 => "0.2",
            Wasi::P3 => "0.3",
        })
    }
}

impl FromStr for Wasi {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "0.2" => Ok(Wasi::P2),
            "0.3" => Ok(Wasi::P3),
            _ => Err(format!(
                "`wasi = \"{text}\"` is not a WASI version edgeway builds for; use \"0.2\" or \"0.3\""
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Wasi;

    #[test]
    fn versions_read_and_print_as_written() {
        for text in ["0.2", "0.3"] {
            assert_eq!(text.parse::<Wasi>().unwrap().to_string(), text);
        }
        assert!(
            "0.2.6"
                .parse::<Wasi>()
                .unwrap_err()
                .contains("\"0.2\" or \"0.3\"")
        );
        assert_eq!(Wasi::default(), Wasi::P2);
    }
}
