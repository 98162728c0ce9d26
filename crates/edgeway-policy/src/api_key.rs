//! API keys: where the caller presents one, and checking it in constant time.
use subtle::ConstantTimeEq;

/// Where callers present their key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySource<'a> {
    /// The header carrying the key (lowercase), e.g. `x-api-key`.
    pub header: &'a str,
    /// A query parameter carrying the key, if allowed.
    pub query: Option<&'a str>,
}

impl KeySource<'_> {
    /// The key the request presents: the header first, then the query parameter.
    pub fn find(&self, headers: &[(String, String)], query: &str) -> Option<String> {
        if let Some((_, value)) = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(self.header))
        {
            return Some(value.trim().to_owned());
        }
        let name = self.query?;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then(|| percent_decode(value))
        })
    }
}

/// Decodes `%XX` escapes (and `+` as a space, as in forms) in a query value; malformed escapes
/// are kept as written, so they simply fail to match a key.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The configured keys, each with the name the handler and the logs see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeys {
    keys: Vec<(String, String)>,
}

impl ApiKeys {
    /// Reads `name=key` pairs separated by commas or newlines (a Spin variable's value).
    pub fn parse(config: &str) -> Result<ApiKeys, String> {
        let keys = config
            .split([',', '\n'])
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| match entry.split_once('=') {
                Some((name, key)) if !name.trim().is_empty() && key.trim().len() >= 16 => {
                    Ok((name.trim().to_owned(), key.trim().to_owned()))
                }
                Some((name, _)) if !name.trim().is_empty() => Err(format!(
                    "API key `{}` is shorter than 16 characters",
                    name.trim()
                )),
                _ => Err("API keys are `name=key` pairs separated by commas".to_owned()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err("no API keys are configured".into());
        }
        Ok(ApiKeys { keys })
    }

    /// The name of the key equal to `presented`. Every configured key is compared in full,
    /// in constant time, so timing does not reveal how much of a key matched or which one.
    pub fn check(&self, presented: &str) -> Option<&str> {
        let mut found = None;
        for (name, key) in &self.keys {
            if secret_matches(presented, key) {
                found = Some(name.as_str());
            }
        }
        found
    }
}

/// Whether `presented` equals `secret`, compared in constant time.
pub fn secret_matches(presented: &str, secret: &str) -> bool {
    bool::from(secret.as_bytes().ct_eq(presented.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: KeySource<'static> = KeySource {
        header: "x-api-key",
        query: Some("api_key"),
    };

    #[test]
    fn finds_the_key_in_header_then_query() {
        let headers = vec![("X-Api-Key".to_owned(), " from-header ".to_owned())];
        assert_eq!(
            SOURCE.find(&headers, "api_key=from-query").as_deref(),
            Some("from-header")
        );
        assert_eq!(
            SOURCE.find(&[], "a=1&api_key=from-query").as_deref(),
            Some("from-query")
        );
        assert_eq!(SOURCE.find(&[], "a=1"), None);
        let header_only = KeySource {
            query: None,
            ..SOURCE
        };
        assert_eq!(header_only.find(&[], "api_key=from-query"), None);
    }

    #[test]
    fn checks_keys_by_name() {
        let keys = ApiKeys::parse("alice=0123456789abcdef0123, bob=fedcba9876543210fedc").unwrap();
        assert_eq!(keys.check("0123456789abcdef0123"), Some("alice"));
        assert_eq!(keys.check("fedcba9876543210fedc"), Some("bob"));
        assert_eq!(keys.check("0123456789abcdef012"), None);
        assert_eq!(keys.check(""), None);
    }

    #[test]
    fn rejects_weak_or_malformed_configuration() {
        assert!(ApiKeys::parse("").unwrap_err().contains("no API keys"));
        assert!(
            ApiKeys::parse("alice=short")
                .unwrap_err()
                .contains("shorter than 16")
        );
        assert!(
            ApiKeys::parse("0123456789abcdef0123")
                .unwrap_err()
                .contains("name=key")
        );
    }
}
