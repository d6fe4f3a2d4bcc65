//! Routes and model roles. A route is what kind of message this is; a role is
//! which configured model answers it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of reply a message needs. Stored with every reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    Support,
    Reasoning,
    Pattern,
    Crisis,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Support => "support",
            Route::Reasoning => "reasoning",
            Route::Pattern => "pattern",
            Route::Crisis => "crisis",
        }
    }

    /// The role that answers this route first.
    pub fn primary_role(self) -> ModelRole {
        match self {
            Route::Support | Route::Crisis => ModelRole::Chat,
            Route::Reasoning | Route::Pattern => ModelRole::Deep,
        }
    }

    /// The role tried when the primary one finally fails, per DESIGN.md:
    /// deep falls back to chat, chat to deep, and crisis never to deep.
    pub fn fallback_role(self) -> Option<ModelRole> {
        match self {
            Route::Support => Some(ModelRole::Deep),
            Route::Reasoning | Route::Pattern => Some(ModelRole::Chat),
            Route::Crisis => None,
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A configured model slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelRole {
    Chat,
    Deep,
    Checkin,
}

impl ModelRole {
    pub const ALL: [ModelRole; 3] = [ModelRole::Chat, ModelRole::Deep, ModelRole::Checkin];

    pub fn as_str(self) -> &'static str {
        match self {
            ModelRole::Chat => "chat",
            ModelRole::Deep => "deep",
            ModelRole::Checkin => "checkin",
        }
    }

    /// The prefix of this role's environment variables, e.g. `HEARTH_CHAT`.
    pub fn env_prefix(self) -> &'static str {
        match self {
            ModelRole::Chat => "HEARTH_CHAT",
            ModelRole::Deep => "HEARTH_DEEP",
            ModelRole::Checkin => "HEARTH_CHECKIN",
        }
    }
}

impl fmt::Display for ModelRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crisis_never_falls_back_to_the_deep_role() {
        assert_eq!(Route::Crisis.primary_role(), ModelRole::Chat);
        assert_eq!(Route::Crisis.fallback_role(), None);
        assert_eq!(Route::Reasoning.fallback_role(), Some(ModelRole::Chat));
        assert_eq!(Route::Support.fallback_role(), Some(ModelRole::Deep));
    }
}
