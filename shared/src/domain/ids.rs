//! Typed identifiers. A `UserId` is not a `SessionId` is not a `String`:
//! each is validated once where it enters the process, and the rest of the
//! code can rely on it being well formed (bounded, no control characters).

use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest id Hearth accepts, of any kind.
pub const MAX_ID_LEN: usize = 128;

/// Why an id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("{0} must not be empty")]
    Empty(&'static str),
    #[error("{0} must be at most {MAX_ID_LEN} characters")]
    TooLong(&'static str),
    #[error("{0} may only contain letters, digits and . _ : @ | -")]
    BadCharacter(&'static str),
}

fn validate(kind: &'static str, s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty(kind));
    }
    if s.chars().count() > MAX_ID_LEN {
        return Err(IdError::TooLong(kind));
    }
    // '#' is reserved: the DynamoDB adapter uses it to join key parts.
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '@' | '|' | '-'))
    {
        return Err(IdError::BadCharacter(kind));
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: impl Into<String>) -> Result<Self, IdError> {
                let s = s.into();
                validate($kind, &s)?;
                Ok(Self(s))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// The person: the `sub` of their token. Every read and write is scoped to one.
    UserId, "user id"
);
id_type!(
    /// A conversation. New ones are UUIDv7 (time-ordered); imported ones keep the id given.
    SessionId, "session_id"
);
id_type!(
    /// One stored message of either role.
    MessageId, "message id"
);
id_type!(
    /// The client's own id for a message it sends, used to make retries safe.
    ClientMessageId, "client_message_id"
);

id_type!(
    /// One remembered fact.
    MemoryId, "memory id"
);

impl MemoryId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }
}

impl SessionId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }
}

impl MessageId {
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_refuse_empty_long_and_reserved_characters() {
        assert_eq!(UserId::parse(""), Err(IdError::Empty("user id")));
        assert_eq!(
            SessionId::parse("x".repeat(MAX_ID_LEN + 1)),
            Err(IdError::TooLong("session_id"))
        );
        assert_eq!(
            SessionId::parse("a#b"),
            Err(IdError::BadCharacter("session_id"))
        );
        assert!(UserId::parse("5f0c-user@example.com").is_ok());
    }

    #[test]
    fn generated_ids_are_valid_and_time_ordered() {
        let a = SessionId::generate();
        let b = SessionId::generate();
        assert!(SessionId::parse(a.as_str()).is_ok());
        assert!(a < b);
    }
}
