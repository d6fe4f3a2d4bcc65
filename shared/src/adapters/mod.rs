//! Adapters: the ports implemented over real technology. A new storage engine
//! or model provider is one new module here plus one line where clients are
//! built (`crate::app`). Adapters implement ports and never import `service`
//! or `app`.

pub mod anthropic;
pub mod aws;
pub mod bert;
pub mod dynamodb;
pub mod embedded;
pub mod eventbridge;
pub mod fcm;
pub mod local_model;
pub mod minilm;
pub mod model_http;
pub mod openai;
pub mod provision;
pub mod risk_model;
pub mod secrets;
pub mod sqs;
