//! Shared helpers for the criterion benches (placeholder; issue 5).
