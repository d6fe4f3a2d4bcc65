//! The AWS production path: clients built once from the SDK's standard
//! configuration chain (region, credentials, and `AWS_ENDPOINT_URL` for a
//! local emulator such as moto), and the resources named by the environment.

use super::dynamodb::DynamoStore;
use super::eventbridge::EventBridgeBus;
use super::sqs::SqsQueue;
use crate::config::ConfigError;

/// `HEARTH_TABLE`, `HEARTH_QUEUE_URL`, `HEARTH_EVENT_BUS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsResources {
    pub table: String,
    pub queue_url: String,
    pub event_bus: String,
}

impl AwsResources {
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str| {
            var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        Ok(Self {
            table: get("HEARTH_TABLE")?,
            queue_url: get("HEARTH_QUEUE_URL")?,
            event_bus: get("HEARTH_EVENT_BUS")?,
        })
    }
}

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
            personal_data: store,
            events: std::sync::Arc::new(self.events.clone()),
            queue: std::sync::Arc::new(self.queue.clone()),
        }
    }
}

/// What every Lambda function does first: read the configuration and build
/// the app on AWS, once per container. A missing variable stops the process
/// with one line naming it.
pub async fn lambda_app(function: &str) -> crate::app::App {
    use crate::config::{Config, Mode};
    let env = |k: &str| std::env::var(k).ok();
    let (config, resources) = match Config::from_env(env, Mode::Lambda)
        .and_then(|c| Ok((c, AwsResources::from_env(env)?)))
    {
        Ok(both) => both,
        Err(e) => {
            eprintln!("hearth {function}: {e}");
            std::process::exit(2);
        }
    };
    let aws = AwsAdapters::new(&sdk_config().await, &resources);
    crate::app::App::new(&config, aws.ports(), crate::app::http_client())
}
