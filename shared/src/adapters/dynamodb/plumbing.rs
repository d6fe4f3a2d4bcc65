//! What every part of the DynamoDB store shares: attribute values in and
//! out, an item with its kind, the requests (a consistent read, a
//! transaction's put, a page of a Query, the newest items under a prefix),
//! and the mapping of SDK failures to `StoreError`. Keys are in `keys`.

use super::keys::{key, user_pk};
use super::schema::{PK, SK};
use super::{DynamoStore, Item};
use crate::domain::ids::UserId;
use crate::domain::personal_data::ItemKind;
use crate::ports::StoreError;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(StoreError::Corrupt(format!(
            "item has no string attribute {name}"
        ))),
    }
}

pub(super) fn get_n(item: &Item, name: &str) -> Result<u64, StoreError> {
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
pub(super) fn data<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    serde_json::from_str(get_s(item, "data")?).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn json<T: serde::Serialize>(v: &T) -> Result<AttributeValue, StoreError> {
    serde_json::to_string(v)
        .map(AttributeValue::S)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// One of `user`'s items: its key, its `kind` (what export and erase read)
/// and `attributes`.
pub(super) fn item<const N: usize>(
    user: &UserId,
    sk: impl Into<String>,
    kind: ItemKind,
    attributes: [(&str, AttributeValue); N],
) -> Item {
    let mut item = key(user, sk);
    item.insert("kind".into(), s(kind.as_str()));
    item.extend(attributes.into_iter().map(|(k, v)| (k.to_string(), v)));
    item
}

/// An item that keeps its domain object as JSON in `data`.
pub(super) fn data_item<T: serde::Serialize>(
    user: &UserId,
    sk: impl Into<String>,
    kind: ItemKind,
    value: &T,
) -> Result<Item, StoreError> {
    Ok(item(user, sk, kind, [("data", json(value)?)]))
}

/// Map an SDK failure. Throttling has already been retried by the SDK.
pub(super) fn sdk<E, R>(e: SdkError<E, R>) -> StoreError
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

pub(super) fn build_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("could not build a DynamoDB request: {e}"))
}

/// A transaction's cancellation reason: a condition expression was false.
pub(super) const CONDITION_FAILED: &str = "ConditionalCheckFailed";
/// A transaction's cancellation reason: another one on the same items was
/// in flight.
pub(super) const TRANSACTION_CONFLICT: &str = "TransactionConflict";

/// The positions (in request order) of a cancelled transaction's
/// reasons with `code`; empty if it was not cancelled.
pub(super) fn cancelled_with<R>(
    e: &SdkError<TransactWriteItemsError, R>,
    code: &str,
) -> Vec<usize> {
    match e {
        SdkError::ServiceError(se) => match se.err() {
            TransactWriteItemsError::TransactionCanceledException(tc) => tc
                .cancellation_reasons()
                .iter()
                .enumerate()
                .filter(|(_, r)| r.code() == Some(code))
                .map(|(i, _)| i)
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// A conditional PutItem found its condition false: nothing was written.
pub(super) fn put_refused<R>(e: &SdkError<PutItemError, R>) -> bool {
    e.as_service_error()
        .is_some_and(|se| se.is_conditional_check_failed_exception())
}

impl DynamoStore {
    /// One of `user`'s items, read consistently.
    pub(super) async fn get(&self, user: &UserId, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(user, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk)?;
        Ok(out.item)
    }

    /// A put for a transaction, only if `condition` holds.
    pub(super) fn put(
        &self,
        item: Item,
        condition: Option<&str>,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map_err(build_err)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Write `writes` all together or not at all.
    pub(super) async fn transact(
        &self,
        writes: Vec<TransactWriteItem>,
    ) -> Result<(), SdkError<TransactWriteItemsError, impl std::fmt::Debug>> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
            .map(|_| ())
    }

    /// Up to `limit` items of one Query page (of the table, or of
    /// `index`), and whether more follow: it asks for one more than it
    /// keeps.
    pub(super) async fn query_page(
        &self,
        index: Option<&str>,
        condition: &str,
        values: &[(&str, String)],
        forward: bool,
        limit: usize,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, bool), StoreError> {
        let mut q = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_string))
            .key_condition_expression(condition)
            .scan_index_forward(forward)
            .limit((limit + 1) as i32)
            .set_exclusive_start_key(start);
        for (k, v) in values {
            q = q.expression_attribute_values(*k, s(v.clone()));
        }
        let out = q.send().await.map_err(sdk)?;
        let mut items = out.items.unwrap_or_default();
        let more =
            items.len() > limit || (items.len() == limit && out.last_evaluated_key.is_some());
        items.truncate(limit);
        Ok((items, more))
    }

    /// Up to `limit` of a person's items whose sort key starts with
    /// `prefix`, newest (greatest key) first, after the exclusive `start`
    /// key, keeping those that pass `filter` (in DynamoDB) and `keep` (here).
    /// Reads on past filtered-out items; says whether more remain.
    pub(super) async fn newest_under<T: serde::de::DeserializeOwned>(
        &self,
        user: &UserId,
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

    /// Up to 100 items of one person's whole partition, in key order, from
    /// an exclusive start (export and erase).
    pub(super) async fn query_partition(
        &self,
        user: &UserId,
        start: Option<Item>,
        projection: Option<&str>,
    ) -> Result<QueryOutput, StoreError> {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(user_pk(user)))
            .set_projection_expression(projection.map(str::to_string))
            .limit(100)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk)
    }
}

/// A server-side filter: the expression and its values.
pub(super) type Filter<'a> = (String, Vec<(&'a str, AttributeValue)>);

/// The key attributes alone, of an item read whole.
pub(super) fn key_of(item: &Item) -> Option<Item> {
    Some(Item::from([
        (PK.into(), item.get(PK)?.clone()),
        (SK.into(), item.get(SK)?.clone()),
    ]))
}
