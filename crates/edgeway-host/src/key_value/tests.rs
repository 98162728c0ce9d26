//! The host functions as a guest sees them, without a guest.

use super::bindings::wasi::keyvalue::atomics::{CasError, Host as _, HostCas as _};
use super::bindings::wasi::keyvalue::batch::Host as _;
use super::bindings::wasi::keyvalue::store::{Error, Host as _, HostBucket};
use super::sqlite::tests::TempDir;
use super::*;
use wasmtime::component::Resource;

/// One instance's view of a component that declares the store `default`.
struct Fixture {
    dir: TempDir,
    stores: Arc<KeyValueStores>,
    table: ResourceTable,
}

impl Fixture {
    fn new(name: &str) -> Self {
        let dir = TempDir::new(name);
        let stores = KeyValueStores::new(
            &dir.0.join("kv"),
            &Default::default(),
            &["default".to_owned()],
        )
        .unwrap();
        Self {
            dir,
            stores: Arc::new(stores),
            table: ResourceTable::new(),
        }
    }

    fn view(&mut self) -> KeyValueView<'_> {
        KeyValueView {
            table: &mut self.table,
            stores: &self.stores,
        }
    }
}

#[tokio::test]
async fn open_allows_only_declared_stores_and_creates_their_file() {
    let mut fixture = Fixture::new("open");
    let db = fixture.dir.0.join("kv/default.db");
    let mut view = fixture.view();
    assert!(matches!(
        view.open("other".into()).await.unwrap(),
        Err(Error::AccessDenied)
    ));
    assert!(!db.exists());
    let bucket = view.open("default".into()).await.unwrap().unwrap();
    assert!(db.exists());
    HostBucket::drop(&mut view, bucket).await.unwrap();
}

#[tokio::test]
async fn store_batch_and_list_keys_behave_like_spin() {
    let mut fixture = Fixture::new("host-store");
    let mut view = fixture.view();
    let bucket = view.open("default".into()).await.unwrap().unwrap();
    let b = || Resource::<Bucket>::new_borrow(bucket.rep());

    view.set(b(), "a".into(), b"1".to_vec())
        .await
        .unwrap()
        .unwrap();
    view.set_many(b(), vec![("b".into(), b"2".to_vec())])
        .await
        .unwrap()
        .unwrap();
    assert!(view.exists(b(), "b".into()).await.unwrap().unwrap());
    let listed = view.list_keys(b(), None).await.unwrap().unwrap();
    assert_eq!(
        (listed.keys, listed.cursor),
        (vec!["a".into(), "b".into()], None)
    );
    match view.list_keys(b(), Some("a".into())).await.unwrap() {
        Err(Error::Other(message)) => assert_eq!(message, "list_keys: cursor not supported"),
        other => panic!("expected Spin's cursor error, got {other:?}"),
    }
    let many = view
        .get_many(b(), vec!["b".into(), "nope".into()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(many, [("b".to_owned(), Some(b"2".to_vec()))]);
    view.delete_many(b(), vec!["a".into()])
        .await
        .unwrap()
        .unwrap();
    view.delete(b(), "b".into()).await.unwrap().unwrap();
    assert_eq!(view.get(b(), "a".into()).await.unwrap().unwrap(), None);
    assert_eq!(
        view.increment(b(), "n".into(), 5).await.unwrap().unwrap(),
        5
    );
}

#[tokio::test]
async fn compare_and_swap_retries_with_a_fresh_handle() {
    let mut fixture = Fixture::new("host-cas");
    let mut view = fixture.view();
    let bucket = view.open("default".into()).await.unwrap().unwrap();
    let b = || Resource::<Bucket>::new_borrow(bucket.rep());
    view.set(b(), "k".into(), b"v1".to_vec())
        .await
        .unwrap()
        .unwrap();

    let cas = view.new(b(), "k".into()).await.unwrap().unwrap();
    let current = view
        .current(Resource::new_borrow(cas.rep()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.as_deref(), Some(&b"v1"[..]));
    // Someone else writes in between: the swap fails and hands out a new
    // handle that expects the new value.
    view.set(b(), "k".into(), b"v2".to_vec())
        .await
        .unwrap()
        .unwrap();
    let retry = match view.swap(cas, b"mine".to_vec()).await.unwrap() {
        Err(CasError::CasFailed(retry)) => retry,
        other => panic!("expected cas-failed, got {other:?}"),
    };
    view.swap(retry, b"mine".to_vec()).await.unwrap().unwrap();
    assert_eq!(
        view.get(b(), "k".into()).await.unwrap().unwrap().as_deref(),
        Some(&b"mine"[..])
    );

    // A swap on an absent key inserts it.
    let cas = view.new(b(), "fresh".into()).await.unwrap().unwrap();
    view.swap(cas, b"x".to_vec()).await.unwrap().unwrap();
    assert!(view.exists(b(), "fresh".into()).await.unwrap().unwrap());
}
