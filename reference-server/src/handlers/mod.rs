//! Request handlers, one module per concept. Each takes the [`Incoming`] request, checks in
//! DRF's order (Accept, authentication, method, existence, body) and returns the reply or
//! the error to render.
//!
//! [`Incoming`]: crate::request::Incoming

pub mod health;
pub mod metadata;
pub mod resources;
pub mod tokens;
pub mod users;
