//! Test support (filled in below).
pub mod browser;

pub mod app;
pub mod ws;
pub use app::*;
