//! The model roles as the use cases see them: which client and model serve
//! each role, and DESIGN.md's fallback rules on final failure. Every call is
//! accounted (tokens in and out, with user, role, model and route).

use crate::domain::completion::{Completion, CompletionRequest};
use crate::domain::ids::UserId;
use crate::domain::route::{ModelRole, Route};
use crate::ports::{ModelClient, ModelError};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::time::Instant;

/// One role's client and model.
#[derive(Clone)]
pub struct Binding {
    pub client: Arc<dyn ModelClient>,
    pub model: String,
}

/// An answer, and which role produced it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub completion: Completion,
    pub role: ModelRole,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ModelFailure {
    /// No provider configured: says what to set.
    #[error("{0}")]
    NotConfigured(String),
    #[error("the model is unavailable: {0}")]
    Failed(ModelError),
}

/// The configured roles.
#[derive(Clone)]
pub struct ModelRoles {
    bindings: HashMap<ModelRole, Binding>,
    not_configured_hint: String,
}

impl ModelRoles {
    pub fn new(
        bindings: HashMap<ModelRole, Binding>,
        not_configured_hint: impl Into<String>,
    ) -> Self {
        Self {
            bindings,
            not_configured_hint: not_configured_hint.into(),
        }
    }

    pub fn binding(&self, role: ModelRole) -> Option<&Binding> {
        self.bindings.get(&role)
    }

    /// The context window a route's prompt must fit: the smaller of its
    /// primary and fallback models', since a fallback gets the same context.
    pub fn context_window(&self, route: Route) -> u32 {
        self.context_window_for(route.primary_role(), route.fallback_role())
    }

    /// The smaller window of `primary` and `fallback`'s models.
    pub fn context_window_for(&self, primary: ModelRole, fallback: Option<ModelRole>) -> u32 {
        [Some(primary), fallback]
            .into_iter()
            .flatten()
            .filter_map(|role| self.bindings.get(&role))
            .map(|b| crate::domain::context::context_window(&b.model))
            .min()
            .unwrap_or(8_192)
    }

    /// Answer `request` for `route`: its primary role, then its fallback
    /// role (if configured, and a different model) with the same context.
    pub async fn complete(
        &self,
        user: &UserId,
        route: Route,
        request: &CompletionRequest,
        deadline: Instant,
    ) -> Result<Answer, ModelFailure> {
        self.complete_for(
            user,
            route.as_str(),
            route.primary_role(),
            route.fallback_role(),
            request,
            deadline,
        )
        .await
    }

    /// Answer with `primary`, falling back to `fallback`; `purpose` labels
    /// the accounting (a route, or a job kind).
    pub async fn complete_for(
        &self,
        user: &UserId,
        purpose: &str,
        primary: ModelRole,
        fallback: Option<ModelRole>,
        request: &CompletionRequest,
        deadline: Instant,
    ) -> Result<Answer, ModelFailure> {
        // A chat turn's route is not in the accounting: beside the user id,
        // `crisis` would say who is in crisis. The role says what it cost.
        let routes = [
            Route::Support,
            Route::Reasoning,
            Route::Pattern,
            Route::Crisis,
        ];
        let purpose = if routes.iter().any(|r| r.as_str() == purpose) {
            "chat"
        } else {
            purpose
        };
        let Some(first) = self.bindings.get(&primary) else {
            return Err(ModelFailure::NotConfigured(
                self.not_configured_hint.clone(),
            ));
        };
        let err = match self
            .call(user, purpose, primary, first, request, deadline)
            .await
        {
            Ok(answer) => return Ok(answer),
            Err(e) => e,
        };
        let fallback = fallback
            .and_then(|role| self.bindings.get(&role).map(|b| (role, b)))
            .filter(|(_, b)| !(Arc::ptr_eq(&b.client, &first.client) && b.model == first.model));
        match fallback {
            Some((role, binding)) if Instant::now() < deadline => {
                tracing::warn!(from = %primary, to = %role, error = %err, "falling back to another role");
                self.call(user, purpose, role, binding, request, deadline)
                    .await
                    .map_err(ModelFailure::Failed)
            }
            _ => Err(ModelFailure::Failed(err)),
        }
    }

    async fn call(
        &self,
        user: &UserId,
        purpose: &str,
        role: ModelRole,
        binding: &Binding,
        request: &CompletionRequest,
        deadline: Instant,
    ) -> Result<Answer, ModelError> {
        let started = Instant::now();
        let result = binding
            .client
            .complete(&binding.model, request, deadline)
            .await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(c) => tracing::info!(
                target: "hearth::usage",
                user = %user, purpose, %role, provider = binding.client.provider(), model = %c.model,
                input_tokens = c.usage.input_tokens, output_tokens = c.usage.output_tokens, elapsed_ms,
                "model call"
            ),
            Err(e) => tracing::warn!(
                user = %user, purpose, %role, provider = binding.client.provider(), model = %binding.model,
                error = %e, elapsed_ms, "model call failed"
            ),
        }
        result.map(|completion| Answer { completion, role })
    }
}
