//! Every prompt Hearth sends, one module per use: `chat` (a reply, by
//! route), `extraction` (memory extraction and its JSON schema), `checkin`
//! (the daily check-in line) and `journal` (a reflective journal prompt),
//! with `known` the section of what Hearth knows that they share. Prompts
//! are data: each module's snapshot tests show a change to them in review.

pub mod chat;
pub mod checkin;
pub mod extraction;
pub mod journal;
mod known;

pub use known::known_context;
mod data;

pub use data::{DATA_RULE, data_block, quoted};
