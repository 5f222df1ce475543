//! The Lumières server: configuration, telemetry and startup. Thin: the
//! application itself lives in the `app` crate.
#![forbid(unsafe_code)]

pub mod cli;
pub mod configuration;
pub mod demo;
pub mod serve;
pub mod startup;
pub mod telemetry;
