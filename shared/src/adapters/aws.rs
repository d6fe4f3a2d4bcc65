//! The AWS production path: clients built once from the SDK's standard
//! configuration chain (region, credentials, and `AWS_ENDPOINT_URL` for a
//! local emulator such as moto), and the resources named by the environment.

use super::dynamodb::DynamoStore;
use super::eventbridge::EventBridgeBus;
use super::sqs::SqsQueue;
use crate::config::AwsResources;

/// One SDK configuration for every client.
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await
}

/// The three production adapters.
pub struct AwsAdapters {
    pub store: DynamoStore,
    pub queue: SqsQueue,
    pub events: EventBridgeBus,
}

impl AwsAdapters {
    pub fn new(sdk: &aws_config::SdkConfig, resources: &AwsResources) -> Self {
        Self {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(sdk), &resources.table),
            queue: SqsQueue::new(aws_sdk_sqs::Client::new(sdk), &resources.queue_url),
            events: EventBridgeBus::new(
                aws_sdk_eventbridge::Client::new(sdk),
                &resources.event_bus,
            ),
        }
    }
}

impl AwsAdapters {
    /// The ports, all on AWS.
    pub fn ports(&self) -> crate::ports::Ports {
        let store = std::sync::Arc::new(self.store.clone());
        crate::ports::Ports {
            conversations: store.clone(),
            memories: store.clone(),
            settings: store.clone(),
            checkins: store.clone(),
            journal: store.clone(),
            reports: store.clone(),
            personal_data: store,
            events: std::sync::Arc::new(self.events.clone()),
            queue: std::sync::Arc::new(self.queue.clone()),
            risk: None,
        }
    }
}
