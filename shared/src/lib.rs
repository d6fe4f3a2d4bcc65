//! Hearth's library: everything that is not a Lambda entry point.
//!
//! - `domain`: pure logic, no I/O.
//! - `ports`: one small async trait per capability.
//! - `adapters`: the ports over real technology (redb, Anthropic, OpenAI-compatible).
//! - `service`: the use cases the functions call.
//! - `http`: the HTTP API as one router, shared by Lambda and the local binary.

pub mod adapters;
pub mod app;
pub mod auth;
pub mod config;
pub mod domain;
pub mod http;
pub mod ports;
pub mod service;
pub mod telemetry;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;

#[cfg(feature = "contract-tests")]
pub mod contract;
