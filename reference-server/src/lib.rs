//! Reference server (placeholder; issue 2 fills this in).
