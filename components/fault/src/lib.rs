//! `fault` (test-only: routed by tests/app/spin.toml, not by the example app): fails on
//! purpose, so the gateway's and the host's answers to a failing handler can be seen and
//! tested. `GET /fault/panic` panics (a trap), `GET /fault/problem` returns a
//! problem, `GET /fault/status` returns an out-of-range status, `GET /fault/loop` never
//! returns, `GET /fault/memory` allocates without end.
use edgeway_sdk::{Handler, Problem, Request, Response};

struct Fault;

impl Handler for Fault {
    fn handle(request: Request) -> Result<Response, Problem> {
        match request.param("kind") {
            Some("panic") => panic!("the fault handler was asked to panic"),
            Some("problem") => Err(Problem::new(
                409,
                "Conflict on purpose",
                "the fault handler reports a problem",
            )),
            Some("loop") => loop {
                std::hint::black_box(());
            },
            Some("memory") => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            Some("status") => Ok(Response {
                status: 1000,
                headers: Vec::new(),
                body: Vec::new(),
            }),
            other => Err(Problem::new(
                404,
                "Unknown fault",
                format!("no fault named {other:?}; try panic, problem, status, loop or memory"),
            )),
        }
    }
}

edgeway_sdk::export!(Fault);
