//! Use cases: what the functions call. Each takes its ports as constructor
//! arguments, so tests run them with fakes and no Lambda runtime.

pub mod chat;
pub mod checkin;
pub mod crisis;
pub mod extraction;
pub mod jobs;
pub mod journal;
pub mod migrate;
pub mod models;
pub mod personal_data;
pub mod recent;
pub mod remember;
pub mod reply_check;
pub mod retrieval;
pub mod sweep;

#[cfg(test)]
mod tests;
