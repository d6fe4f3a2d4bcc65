//! The DynamoDB store: one table, single-table design (docs/data-model.md).
//! Throttling and other retryable errors are retried by the SDK's standard
//! retry policy; what still fails surfaces as `StoreError::Unavailable`,
//! which the API answers with a 503 JSON error.

mod conversations;
mod memories;
mod personal_data;
pub mod schema;
mod settings_checkins_journal;

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
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}

/// The partition of everything a person owns.
pub(crate) fn user_pk(user: &crate::domain::ids::UserId) -> String {
    format!("U#{user}")
}

/// A server-side filter: the expression and its values.
pub(crate) type Filter<'a> = (String, Vec<(&'a str, AttributeValue)>);

impl DynamoStore {
    /// Up to `limit` of a person's items whose sort key starts with
    /// `prefix`, newest (greatest key) first, after the exclusive `start`
    /// key, keeping those that pass `filter` (in DynamoDB) and `keep` (here).
    /// Reads on past filtered-out items; says whether more remain.
    pub(crate) async fn newest_under<T: serde::de::DeserializeOwned>(
        &self,
        user: &crate::domain::ids::UserId,
        prefix: &str,
        start: Option<Item>,
        limit: usize,
        filter: Option<Filter<'_>>,
        keep: impl Fn(&T) -> bool,
    ) -> Result<(Vec<T>, bool), StoreError> {
        let mut out = Vec::new();
        let mut start = start;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :p)")
                .expression_attribute_values(":pk", s(user_pk(user)))
                .expression_attribute_values(":p", s(prefix))
                .scan_index_forward(false)
                .limit(100)
                .set_exclusive_start_key(start.take());
            if let Some((expression, values)) = &filter {
                q = q.filter_expression(expression);
                for (k, v) in values {
                    q = q.expression_attribute_values(*k, v.clone());
                }
            }
            let page = q.send().await.map_err(sdk)?;
            for item in page.items.unwrap_or_default() {
                let v: T = data(&item)?;
                if !keep(&v) {
                    continue;
                }
                if out.len() == limit {
                    return Ok((out, true));
                }
                out.push(v);
            }
            match page.last_evaluated_key {
                Some(k) => start = Some(k),
                None => return Ok((out, false)),
            }
        }
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
        _ => Err(StoreError::Corrupt(format!(
            "item has no string attribute {name}"
        ))),
    }
}

pub(crate) fn get_n(item: &Item, name: &str) -> Result<u64, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("{name} is not a number"))),
        _ => Err(StoreError::Corrupt(format!(
            "item has no number attribute {name}"
        ))),
    }
}

/// The domain object kept as JSON in the `data` attribute.
pub(crate) fn data<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    serde_json::from_str(get_s(item, "data")?).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> Result<AttributeValue, StoreError> {
    serde_json::to_string(v)
        .map(AttributeValue::S)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Map an SDK failure. Throttling has already been retried by the SDK.
pub(crate) fn sdk<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let code = e.code().unwrap_or("").to_string();
    match code.as_str() {
        "ProvisionedThroughputExceededException"
        | "ThrottlingException"
        | "RequestLimitExceeded" => {
            StoreError::Unavailable("DynamoDB is throttling requests; try again shortly".into())
        }
        _ => StoreError::Unavailable(format!("DynamoDB: {}", DisplayErrorContext(&e))),
    }
}

pub(crate) fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("could not build a DynamoDB request: {e}"))
}
