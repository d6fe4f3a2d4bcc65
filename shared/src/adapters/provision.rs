//! `hearth provision`: create the table (with its indexes and TTL), the job
//! queue with its DLQ, and the event bus, from the same definitions that
//! template.yaml declares (a test compares them). Idempotent: what exists
//! is left as it is.

use super::dynamodb::schema::{self, KeySpec};
use crate::config::AwsResources;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
    LocalSecondaryIndex, Projection, ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;

#[derive(Debug, thiserror::Error)]
#[error("provisioning {what} failed: {message}")]
pub struct ProvisionError {
    what: &'static str,
    message: String,
}

fn fail(what: &'static str) -> impl Fn(String) -> ProvisionError {
    move |message| ProvisionError { what, message }
}

fn key_schema(k: &KeySpec) -> Result<Vec<KeySchemaElement>, ProvisionError> {
    let mut out = vec![
        KeySchemaElement::builder()
            .attribute_name(&k.hash)
            .key_type(KeyType::Hash)
            .build(),
    ];
    if let Some(r) = &k.range {
        out.push(
            KeySchemaElement::builder()
                .attribute_name(r)
                .key_type(KeyType::Range)
                .build(),
        );
    }
    out.into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail("the table")(e.to_string()))
}

/// Names derived from a prefix.
pub fn names(prefix: &str) -> (String, String, String, String) {
    (
        format!("{prefix}-table"),
        format!("{prefix}-jobs"),
        format!("{prefix}-jobs-dlq"),
        format!("{prefix}-events"),
    )
}

/// Create what is missing and return the names to export.
pub async fn provision(
    sdk: &aws_config::SdkConfig,
    prefix: &str,
    max_receives: u32,
) -> Result<AwsResources, ProvisionError> {
    let (table, queue, dlq, bus) = names(prefix);
    create_table(&aws_sdk_dynamodb::Client::new(sdk), &table).await?;
    let queue_url =
        create_queues(&aws_sdk_sqs::Client::new(sdk), &queue, &dlq, max_receives).await?;
    create_bus(&aws_sdk_eventbridge::Client::new(sdk), &bus).await?;
    Ok(AwsResources {
        table,
        queue_url,
        event_bus: bus,
    })
}

pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<(), ProvisionError> {
    let err = fail("the table");
    let spec = schema::table_spec();
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest);
    for a in &spec.string_attributes {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(a)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| err(e.to_string()))?,
        );
    }
    req = req.set_key_schema(Some(key_schema(&spec.key)?));
    let all = Projection::builder()
        .projection_type(ProjectionType::All)
        .build();
    for (index, key) in &spec.global_indexes {
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index)
                .set_key_schema(Some(key_schema(key)?))
                .projection(all.clone())
                .build()
                .map_err(|e| err(e.to_string()))?,
        );
    }
    for (index, key) in &spec.local_indexes {
        req = req.local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name(index)
                .set_key_schema(Some(key_schema(key)?))
                .projection(all.clone())
                .build()
                .map_err(|e| err(e.to_string()))?,
        );
    }
    match req.send().await {
        Ok(_) => {}
        Err(e) if e.code() == Some("ResourceInUseException") => {}
        Err(e) => {
            return Err(err(
                aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string()
            ));
        }
    }
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(&spec.ttl_attribute)
                .build()
                .map_err(|e| err(e.to_string()))?,
        )
        .send()
        .await
        .map(|_| ())
        .or_else(|e| match e.code() {
            // Already on.
            Some("ValidationException") => Ok(()),
            _ => Err(err(
                aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string()
            )),
        })
}

async fn create_queues(
    client: &aws_sdk_sqs::Client,
    queue: &str,
    dlq: &str,
    max_receives: u32,
) -> Result<String, ProvisionError> {
    let err = fail("the job queue");
    let dlq_url = client
        .create_queue()
        .queue_name(dlq)
        .attributes(
            QueueAttributeName::MessageRetentionPeriod,
            schema::DLQ_RETENTION_SECS.to_string(),
        )
        .send()
        .await
        .map_err(|e| err(aws_sdk_sqs::error::DisplayErrorContext(&e).to_string()))?
        .queue_url
        .ok_or_else(|| err("no DLQ URL returned".into()))?;
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| err(aws_sdk_sqs::error::DisplayErrorContext(&e).to_string()))?
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| err("no DLQ ARN returned".into()))?;
    let redrive =
        serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives})
            .to_string();
    client
        .create_queue()
        .queue_name(queue)
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            schema::QUEUE_VISIBILITY_TIMEOUT_SECS.to_string(),
        )
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await
        .map_err(|e| err(aws_sdk_sqs::error::DisplayErrorContext(&e).to_string()))?
        .queue_url
        .ok_or_else(|| err("no queue URL returned".into()))
}

async fn create_bus(
    client: &aws_sdk_eventbridge::Client,
    name: &str,
) -> Result<(), ProvisionError> {
    match client.create_event_bus().name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if e.code() == Some("ResourceAlreadyExistsException") => Ok(()),
        Err(e) => Err(fail("the event bus")(
            aws_sdk_eventbridge::error::DisplayErrorContext(&e).to_string(),
        )),
    }
}
