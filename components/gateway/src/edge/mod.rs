//! The gateway's HTTP edge: the host's request in, the gateway's [`Reply`] out. Everything
//! behind it (routing, policies, handlers) is the same for both WASI versions.
//!
//! [`Reply`]: crate::problem::Reply
#[cfg(all(feature = "wasip2", feature = "wasip3"))]
compile_error!("build the gateway with one of the features `wasip2` and `wasip3`, not both");

#[cfg(feature = "wasip2")]
mod wasip2;
#[cfg(feature = "wasip2")]
pub use wasip2::Incoming;

#[cfg(feature = "wasip3")]
mod wasip3;
#[cfg(feature = "wasip3")]
pub use wasip3::Incoming;

/// Why the body could not be read.
pub enum BodyError {
    TooLarge,
    Stream,
}
