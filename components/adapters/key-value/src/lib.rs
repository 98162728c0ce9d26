//! A handler's view of the key-value store: the host's `wasi:keyvalue@0.2.0-draft2`, with
//! every key prefixed by `<handler>/` on the way in and the prefix removed on the way out.
//! `list-keys` shows only the handler's own keys, so no handler reads or changes another's
//! keys, nor the gateway's rate-limit counters (`edgeway:rate:...`: a handler name holds no
//! `:`). The composer puts one instance of this component in front of each handler that
//! imports the store, with the handler's name in its grant.
#![deny(missing_docs)]

#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        inline: r#"
            package edgeway:isolation;
            world key-value-namespace {
                import wasi:keyvalue/store@0.2.0-draft2;
                import wasi:keyvalue/atomics@0.2.0-draft2;
                import wasi:keyvalue/batch@0.2.0-draft2;
                export wasi:keyvalue/store@0.2.0-draft2;
                export wasi:keyvalue/atomics@0.2.0-draft2;
                export wasi:keyvalue/batch@0.2.0-draft2;
            }
        "#,
        world: "edgeway:isolation/key-value-namespace",
        generate_all,
    });
}

use std::sync::OnceLock;

use bindings::exports::wasi::keyvalue::{atomics, batch, store};
use bindings::wasi::keyvalue::{atomics as host_atomics, batch as host_batch, store as host};

struct Namespace;

/// `<handler>/`; `None` if the composer wrote no grant (then every call is refused).
fn prefix() -> Option<&'static str> {
    static PREFIX: OnceLock<Option<String>> = OnceLock::new();
    PREFIX
        .get_or_init(|| {
            let handler = isolation_grant::read().handler;
            (!handler.is_empty()).then(|| format!("{handler}/"))
        })
        .as_deref()
}

fn key(key: &str) -> Result<String, store::Error> {
    prefix()
        .map(|prefix| format!("{prefix}{key}"))
        .ok_or(store::Error::AccessDenied)
}

fn keys(keys: Vec<String>) -> Result<Vec<String>, store::Error> {
    keys.iter().map(|k| key(k)).collect()
}

/// The handler's key for a stored key, `None` for another's.
fn unprefixed(stored: String) -> Option<String> {
    stored.strip_prefix(prefix()?).map(str::to_owned)
}

fn error(error: host::Error) -> store::Error {
    match error {
        host::Error::NoSuchStore => store::Error::NoSuchStore,
        host::Error::AccessDenied => store::Error::AccessDenied,
        host::Error::Other(message) => store::Error::Other(message),
    }
}

/// The host's bucket, seen through the namespace.
struct Bucket(host::Bucket);

impl store::Guest for Namespace {
    type Bucket = Bucket;

    fn open(identifier: String) -> Result<store::Bucket, store::Error> {
        prefix().ok_or(store::Error::AccessDenied)?;
        let bucket = host::open(&identifier).map_err(error)?;
        Ok(store::Bucket::new(Bucket(bucket)))
    }
}

impl store::GuestBucket for Bucket {
    fn get(&self, k: String) -> Result<Option<Vec<u8>>, store::Error> {
        self.0.get(&key(&k)?).map_err(error)
    }

    fn set(&self, k: String, value: Vec<u8>) -> Result<(), store::Error> {
        self.0.set(&key(&k)?, &value).map_err(error)
    }

    fn delete(&self, k: String) -> Result<(), store::Error> {
        self.0.delete(&key(&k)?).map_err(error)
    }

    fn exists(&self, k: String) -> Result<bool, store::Error> {
        self.0.exists(&key(&k)?).map_err(error)
    }

    /// The host's page, with other namespaces' keys left out; its cursor is passed on, so a
    /// page may hold fewer keys (or none) before the last.
    fn list_keys(&self, cursor: Option<String>) -> Result<store::KeyResponse, store::Error> {
        prefix().ok_or(store::Error::AccessDenied)?;
        let page = self.0.list_keys(cursor.as_deref()).map_err(error)?;
        Ok(store::KeyResponse {
            keys: page.keys.into_iter().filter_map(unprefixed).collect(),
            cursor: page.cursor,
        })
    }
}

/// A compare-and-swap on the host, on the prefixed key.
struct Cas(host_atomics::Cas);

fn cas_error(failure: host_atomics::CasError) -> atomics::CasError {
    match failure {
        host_atomics::CasError::StoreError(e) => atomics::CasError::StoreError(error(e)),
        host_atomics::CasError::CasFailed(cas) => {
            atomics::CasError::CasFailed(atomics::Cas::new(Cas(cas)))
        }
    }
}

impl atomics::Guest for Namespace {
    type Cas = Cas;

    fn increment(
        bucket: store::BucketBorrow<'_>,
        k: String,
        delta: i64,
    ) -> Result<i64, store::Error> {
        let bucket = &bucket.get::<Bucket>().0;
        host_atomics::increment(bucket, &key(&k)?, delta).map_err(error)
    }

    fn swap(cas: atomics::Cas, value: Vec<u8>) -> Result<(), atomics::CasError> {
        let Cas(cas) = cas.into_inner::<Cas>();
        host_atomics::swap(cas, &value).map_err(cas_error)
    }
}

impl atomics::GuestCas for Cas {
    fn new(bucket: store::BucketBorrow<'_>, k: String) -> Result<atomics::Cas, store::Error> {
        let bucket = &bucket.get::<Bucket>().0;
        let cas = host_atomics::Cas::new(bucket, &key(&k)?).map_err(error)?;
        Ok(atomics::Cas::new(Cas(cas)))
    }

    fn current(&self) -> Result<Option<Vec<u8>>, store::Error> {
        self.0.current().map_err(error)
    }
}

impl batch::Guest for Namespace {
    fn get_many(
        bucket: store::BucketBorrow<'_>,
        ks: Vec<String>,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, store::Error> {
        let bucket = &bucket.get::<Bucket>().0;
        let found = host_batch::get_many(bucket, &keys(ks)?).map_err(error)?;
        Ok(found
            .into_iter()
            .filter_map(|(k, value)| Some((unprefixed(k)?, value)))
            .collect())
    }

    fn set_many(
        bucket: store::BucketBorrow<'_>,
        pairs: Vec<(String, Vec<u8>)>,
    ) -> Result<(), store::Error> {
        let bucket = &bucket.get::<Bucket>().0;
        let pairs = pairs
            .into_iter()
            .map(|(k, value)| Ok((key(&k)?, value)))
            .collect::<Result<Vec<_>, store::Error>>()?;
        host_batch::set_many(bucket, &pairs).map_err(error)
    }

    fn delete_many(bucket: store::BucketBorrow<'_>, ks: Vec<String>) -> Result<(), store::Error> {
        let bucket = &bucket.get::<Bucket>().0;
        host_batch::delete_many(bucket, &keys(ks)?).map_err(error)
    }
}

bindings::export!(Namespace with_types_in bindings);
