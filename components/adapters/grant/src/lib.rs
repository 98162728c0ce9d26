//! The grant of one handler, as the isolation adapters read it: the handler's name (the
//! key-value namespace) and what it is given: the variables it may read (config adapter) or
//! the hosts it may call (outbound HTTP adapter).
//!
//! Each adapter is built once and composed once per handler. Its grant lives in [`REGION`],
//! a static the composer (`edgeway-compose`, `grant.rs`) finds by its marker in the built
//! component and fills in for the handler: `MARKER`, a little-endian `u32` length, then that
//! many bytes of UTF-8 text, the handler's name and each granted entry on a line of its own. The
//! layout is the contract between the two; both sides state it.
#![no_std]
#![deny(missing_docs)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

/// Marks the region. Unique in a component: the composer refuses a component where it does
/// not appear exactly once.
pub const MARKER: &[u8; 32] = b"edgeway:isolation-grant:v1:start";
/// The region's size: marker, length, text.
pub const REGION_SIZE: usize = 4096;

/// The region, as built: the marker, a zero length, and filler the composer overwrites.
#[used]
static REGION: [u8; REGION_SIZE] = region();

const fn region() -> [u8; REGION_SIZE] {
    // Filler rather than zeros, so no tool can shrink the region away.
    let mut bytes = [b'.'; REGION_SIZE];
    let mut i = 0;
    while i < MARKER.len() {
        bytes[i] = MARKER[i];
        i += 1;
    }
    let mut j = MARKER.len();
    while j < MARKER.len() + 4 {
        bytes[j] = 0;
        j += 1;
    }
    bytes
}

/// One handler's grant.
pub struct Grant {
    /// The handler's name.
    pub handler: String,
    /// What it is given: variable names, or outbound hosts.
    pub entries: Vec<String>,
}

/// Reads the grant the composer wrote. Volatile reads, because the compiler sees a constant
/// and would otherwise fold it into the code, where the composer could not change it.
pub fn read() -> Grant {
    let byte = |i: usize| unsafe { core::ptr::read_volatile(REGION.as_ptr().add(i)) };
    let at = MARKER.len();
    let length = u32::from_le_bytes([byte(at), byte(at + 1), byte(at + 2), byte(at + 3)]);
    let length = (length as usize).min(REGION_SIZE - at - 4);
    let text: Vec<u8> = (0..length).map(|i| byte(at + 4 + i)).collect();
    let text = String::from_utf8(text).unwrap_or_default();
    let mut lines = text.lines().map(String::from);
    Grant {
        handler: lines.next().unwrap_or_default(),
        entries: lines.filter(|line| !line.is_empty()).collect(),
    }
}
