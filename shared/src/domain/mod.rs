//! The domain: pure logic with no I/O. Everything else depends on it; it
//! depends on nothing but data crates.

pub mod assessment;
pub mod boundaries;
pub mod checkin;
pub mod completion;
pub mod context;
pub mod crisis_notice;
pub mod crisis_resources;
pub mod cursor;
pub mod events;
pub mod extraction;
pub mod ids;
pub mod jobs;
pub mod journal;
pub mod limits;
pub mod memory;
pub mod message;
pub mod notices;
pub mod page;
pub mod personal_data;
pub mod prompts;
pub mod reply_check;
pub mod retrieval;
pub mod risk_mark;
pub mod route;
pub mod safety;
pub mod safety_report;
pub mod text;
pub mod triage;
