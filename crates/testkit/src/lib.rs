//! Test support (filled in below).
pub mod browser;

pub mod app;
pub use app::*;
