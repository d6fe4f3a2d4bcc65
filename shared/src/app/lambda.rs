//! The Lambdas' composition root: every function (chat, job-worker,
//! daily-checkin) builds its app here, once per container, from the typed
//! configuration and the AWS adapters. A missing or invalid variable is an
//! error naming it; the function's `main` reports it and stops.

use super::{App, http_client};
use crate::adapters::aws::{AwsAdapters, sdk_config};
use crate::config::{AwsResources, Config, ConfigError, Mode};
use std::fmt;

/// Why a function could not start. Its `Debug` is its message, so a `main`
/// that returns it prints one line naming the function and the variable.
pub struct BootError {
    function: &'static str,
    error: ConfigError,
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hearth {}: {}", self.function, self.error)
    }
}

impl fmt::Debug for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for BootError {}

/// The configuration and AWS resources of a Lambda, read from `var`.
pub fn lambda_config(
    var: impl Fn(&str) -> Option<String>,
) -> Result<(Config, AwsResources), ConfigError> {
    let config = Config::from_env(&var, Mode::Lambda)?;
    Ok((config, AwsResources::from_env(&var)?))
}

/// Read the environment and build the app on AWS.
pub async fn lambda_app(function: &'static str) -> Result<App, BootError> {
    let (config, resources) =
        lambda_config(|k| std::env::var(k).ok()).map_err(|error| BootError { function, error })?;
    let aws = AwsAdapters::new(&sdk_config().await, &resources);
    Ok(App::new(&config, aws.ports(), http_client()))
}
