//! The conformance suite's library: everything but the cucumber steps, which live in the
//! `jwt-conformance` binary (steps registered from a library can be dropped by the linker).
//!
//! Nothing here comes from the reference server: the suite is an independent reading of
//! the contract (`CONTRACT.md`), and its expectations are written out in the `.feature` files.

pub mod bundled;
pub mod contract;
pub mod http;
pub mod jwt;
pub mod keys;
pub mod known;
pub mod load;
pub mod matcher;
pub mod profile;
pub mod properties;
pub mod redact;
pub mod report;
pub mod target;
pub mod template;
pub mod tls;
pub mod vocabulary;
