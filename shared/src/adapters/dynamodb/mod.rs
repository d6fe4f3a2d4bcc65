//! The DynamoDB store: one table, single-table design (docs/data-model.md).
//! Throttling and other retryable errors are retried by the SDK's standard
//! retry policy; what still fails surfaces as `StoreError::Unavailable`,
//! which the API answers with a 503 JSON error.
//!
//! - `schema`: the table's definition; `keys`: every key it holds;
//!   `plumbing`: attributes, requests, paging and errors, shared by all.
//! - `conversations` reads sessions, messages, crisis flags and activity;
//!   `turns` writes a turn (or an imported message) in one transaction.
//! - `memories` holds memories and extraction state; `index_log` the
//!   retrieval index log written with them, `index_snapshot` its snapshot.
//! - `settings_checkins_journal` and `personal_data` (export, erase, import).
//! - `reports`: the de-identified safety report's counters.

mod conversations;
mod index_log;
mod index_snapshot;
mod keys;
mod memories;
mod personal_data;
mod plumbing;
mod reports;
pub mod schema;
mod settings_checkins_journal;
mod turns;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

pub type Item = HashMap<String, AttributeValue>;

/// The DynamoDB store. Cheap to clone.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}
