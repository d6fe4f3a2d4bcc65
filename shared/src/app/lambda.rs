//! The Lambdas' composition root: every function (chat, job-worker,
//! daily-checkin) builds its app here, once per container, from the typed
//! configuration and the AWS adapters. Secrets are read first, from Secrets
//! Manager through the Parameters and Secrets extension, for the variables
//! whose secret id is set (`HEARTH_JWT_SECRET_ID`, ...; see
//! `crate::adapters::secrets`). A missing or invalid variable or secret is
//! an error naming it, and so is a crisis screen model that must load and
//! does not; the function's `main` reports it and stops.

use super::{App, ScreenModelError, http_client, load_risk_model};
use crate::adapters::aws::{AwsAdapters, sdk_config};
use crate::adapters::secrets::{self, SecretError, SecretsExtension};
use crate::config::{AwsResources, Config, ConfigError, Mode};
use std::fmt;

/// Why a function could not start. Its `Debug` is its message, so a `main`
/// that returns it prints one line naming the function and the variable.
pub struct BootError {
    function: &'static str,
    error: BootCause,
}

#[derive(Debug, thiserror::Error)]
enum BootCause {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    ScreenModel(#[from] ScreenModelError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// Whether a function loads the crisis screen's model at start: the ones
/// that screen or encode what people write (chat, job-worker) do; the
/// hourly pass only fans out jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenModelAtBoot {
    Load,
    Skip,
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

/// Whether a function verifies bearer tokens (chat does), and so needs the
/// JWT secret (or a JWKS URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    Verifies,
    None,
}

/// The configuration and AWS resources of a Lambda, read from `var`.
pub fn lambda_config(
    var: impl Fn(&str) -> Option<String>,
) -> Result<(Config, AwsResources), ConfigError> {
    lambda_config_for(var, Auth::Verifies)
}

/// [`lambda_config`] for a function that does or does not verify tokens.
pub fn lambda_config_for(
    var: impl Fn(&str) -> Option<String>,
    auth: Auth,
) -> Result<(Config, AwsResources), ConfigError> {
    // A function that verifies no tokens is given no JWT secret: it gets
    // one that nobody knows, made here, so that no token verifies in it.
    let unknown = match auth {
        Auth::Verifies => None,
        Auth::None => Some(format!("{}{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4())),
    };
    let var = |k: &str| match (k, &unknown) {
        ("HEARTH_JWT_SECRET", Some(s)) if var(k).is_none() => Some(s.clone()),
        _ => var(k),
    };
    let config = Config::from_env(var, Mode::Lambda)?;
    Ok((config, AwsResources::from_env(var)?))
}

/// Read the environment and build the app on AWS, with the crisis screen's
/// model in `Ports::risk` when `screen` says so (its files are in the
/// encoder layer; template.yaml makes it required there).
pub async fn lambda_app(
    function: &'static str,
    screen: ScreenModelAtBoot,
    auth: Auth,
) -> Result<App, BootError> {
    let boot = |error: BootCause| BootError { function, error };
    let env = |k: &str| std::env::var(k).ok();
    let extension = SecretsExtension::from_env(env, http_client());
    let read = secrets::resolve(env, extension.as_ref())
        .await
        .map_err(|e| boot(e.into()))?;
    let var = |k: &str| read.get(k).cloned().or_else(|| env(k));
    let (config, resources) = lambda_config_for(var, auth).map_err(|e| boot(e.into()))?;
    let risk = match screen {
        ScreenModelAtBoot::Load => load_risk_model(&config).map_err(|e| boot(e.into()))?,
        ScreenModelAtBoot::Skip => None,
    };
    let aws = AwsAdapters::new(&sdk_config().await, &resources);
    let mut ports = aws.ports();
    ports.risk = risk;
    Ok(App::new(&config, ports, http_client()))
}
