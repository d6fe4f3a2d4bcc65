//! The DynamoDB store: one table, single-table design (docs/data-model.md).
//! Throttling and other retryable errors are retried by the SDK's standard
//! retry policy; what still fails surfaces as `StoreError::Unavailable`,
//! which the API answers with a 503 JSON error.

mod companion;
mod conversations;
mod memories;
mod ownership;
pub mod schema;

use crate::ports::StoreError;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
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
        Self { client, table: table.into() }
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(StoreError::Corrupt(format!("item has no string attribute {name}"))),
    }
}

pub(crate) fn get_n(item: &Item, name: &str) -> Result<u64, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().map_err(|_| StoreError::Corrupt(format!("{name} is not a number"))),
        _ => Err(StoreError::Corrupt(format!("item has no number attribute {name}"))),
    }
}

/// The domain object kept as JSON in the `data` attribute.
pub(crate) fn data<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    serde_json::from_str(get_s(item, "data")?).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> Result<AttributeValue, StoreError> {
    serde_json::to_string(v).map(AttributeValue::S).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Map an SDK failure. Throttling has already been retried by the SDK.
pub(crate) fn sdk<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let code = e.code().unwrap_or("").to_string();
    match code.as_str() {
        "ProvisionedThroughputExceededException" | "ThrottlingException" | "RequestLimitExceeded" => {
            StoreError::Unavailable("DynamoDB is throttling requests; try again shortly".into())
        }
        _ => StoreError::Unavailable(format!("DynamoDB: {}", DisplayErrorContext(&e))),
    }
}

pub(crate) fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("could not build a DynamoDB request: {e}"))
}
