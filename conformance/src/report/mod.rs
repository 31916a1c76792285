//! Results of a run and what becomes of them: `verdicts` (MUST / SHOULD / info, known
//! failures, the exit code), and one module per output: `console`, `junit`, `json`, `html`.

mod console;
pub mod html;
mod json;
mod junit;
mod verdicts;

pub use json::json;
pub use junit::junit;
pub(crate) use junit::xml;
#[cfg(test)]
pub(crate) use verdicts::testing;
pub use verdicts::*;
