//! The HTTP API as one axum `Router`. `hearth serve` serves it with hyper;
//! `functions/chat` hands the same router to `lambda_http`.

pub mod error;
pub mod extract;
pub mod guard;
mod routes;
pub mod views;

use crate::app::App;
use crate::domain::limits::MAX_BODY_BYTES;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::routing::{delete, get, patch, post};
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole API, with a span per request carrying its id.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(routes::healthz))
        .route("/v1/chat", post(routes::chat))
        .route("/v1/sessions", get(routes::list_sessions))
        .route("/v1/sessions/{id}", patch(routes::patch_session))
        .route("/v1/sessions/{id}/messages", get(routes::list_messages))
        .route("/v1/memories", get(routes::list_memories))
        .route(
            "/v1/memories/{id}",
            patch(routes::edit_memory).delete(routes::forget_memory),
        )
        .route("/v1/search", get(routes::search))
        .route("/v1/export", get(routes::export))
        .route("/v1/me", delete(routes::erase))
        .route(
            "/v1/me/settings",
            get(routes::get_settings).put(routes::put_settings),
        )
        .route("/v1/checkins", get(routes::list_checkins))
        .route(
            "/v1/journal/entries",
            post(routes::add_journal_entry).get(routes::list_journal_entries),
        )
        .route(
            "/v1/journal/prompts",
            post(routes::new_journal_prompt).get(routes::list_journal_prompts),
        )
        .route(
            "/v1/import",
            post(routes::import).layer(DefaultBodyLimit::max(
                crate::domain::personal_data::IMPORT_MAX_BYTES,
            )),
        )
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(guard::declared_length))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!(
                        "request",
                        request_id = %id,
                        method = %req.method(),
                        path = %req.uri().path(),
                        user = tracing::field::Empty,
                    )
                })
                .on_response(
                    |res: &axum::http::Response<_>,
                     latency: std::time::Duration,
                     _span: &tracing::Span| {
                        tracing::info!(
                            status = res.status().as_u16(),
                            latency_ms = latency.as_millis() as u64,
                            "response"
                        );
                    },
                ),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::from_fn(|req, next| {
            guard::request_id(REQUEST_ID, req, next)
        }))
        .with_state(app)
}
