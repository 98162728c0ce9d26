//! Many requests at once, each answered correctly.
use edgeway_tests::{get, test_app};

#[test]
fn two_hundred_concurrent_requests_all_get_their_own_answer() {
    let addr = test_app().addr;
    let threads: Vec<_> = (0..200)
        .map(|i| {
            std::thread::spawn(move || {
                let response = get(addr, &format!("/hello/caller-{i}"));
                (i, response.status, response.json())
            })
        })
        .collect();
    for thread in threads {
        let (i, status, body) = thread.join().unwrap();
        assert_eq!(status, 200);
        assert_eq!(body["message"], format!("Hello, caller-{i}!"));
    }
}
