//! The outbound tests' loopback upstream (`edgeway_tests::upstream`) on its own, for
//! `scripts/outbound-bench.sh`: prints its address (`127.0.0.1:<port>`) and serves until it
//! is killed.
use edgeway_tests::upstream::Upstream;

fn main() {
    let upstream = Upstream::start();
    println!("{}", upstream.addr);
    loop {
        std::thread::park();
    }
}
