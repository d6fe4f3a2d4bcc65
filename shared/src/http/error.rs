//! The API's error shape, `{"error": {"code": "...", "message": "..."}}`, and
//! the mapping from use-case errors to status codes. A client's mistake is a
//! 4xx; only Hearth's own trouble is a 5xx, and then a clear one.

use crate::auth::AuthError;
use crate::domain::message::ContentError;
use crate::domain::page::PageError;
use crate::ports::StoreError;
use crate::service::chat::ChatError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Beside `error` at the top level: the session a failed chat turn
    /// created, so the client can continue it.
    pub session_id: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            session_id: None,
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": {"code": self.code, "message": self.message}});
        if let Some(id) = self.session_id {
            body["session_id"] = json!(id);
        }
        let body = Json(body);
        let mut resp = (self.status, body).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::KeysUnavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "auth_unavailable",
                "the token's signing keys could not be fetched; try again",
            ),
            e => Self::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string()),
        }
    }
}

impl From<PageError> for ApiError {
    fn from(e: PageError) -> Self {
        Self::invalid(e.to_string())
    }
}

impl From<ContentError> for ApiError {
    fn from(e: ContentError) -> Self {
        match e {
            ContentError::TooLong { .. } => Self::too_large(e.to_string()),
            ContentError::Empty | ContentError::ControlCharacter => Self::invalid(e.to_string()),
        }
    }
}

/// For store errors outside a use case (reads). `NotFound` is the caller's
/// to name, since only it knows what was missing.
pub fn store_error(e: StoreError, what: &str) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::not_found(what),
        StoreError::BadCursor => ApiError::invalid("cursor is not valid for this list"),
        StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
        e => {
            tracing::error!(error = %e, "store failure");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "storage is unavailable; try again shortly",
            )
        }
    }
}

impl From<crate::service::journal::JournalError> for ApiError {
    fn from(e: crate::service::journal::JournalError) -> Self {
        use crate::domain::journal::EntryError;
        use crate::service::journal::JournalError;
        match e {
            JournalError::Entry(e @ EntryError::TooLong) => Self::too_large(e.to_string()),
            JournalError::Entry(e @ (EntryError::Empty | EntryError::ControlCharacter)) => {
                Self::invalid(e.to_string())
            }
            JournalError::ModelUnavailable(m) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "model_unavailable", m)
            }
            JournalError::Store(s) => store_error(s, "journal"),
        }
    }
}

impl From<ChatError> for ApiError {
    fn from(e: ChatError) -> Self {
        match e {
            ChatError::Content(c) => c.into(),
            ChatError::SessionNotFound => ApiError::not_found("session"),
            ChatError::ModelUnavailable { why, session_id } => ApiError {
                session_id: session_id.map(String::from),
                ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "model_unavailable", why)
            },
            ChatError::Conflict(m) => Self::new(StatusCode::CONFLICT, "conflict", m),
            ChatError::Store(s) => store_error(s, "session"),
        }
    }
}
