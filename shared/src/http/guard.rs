//! Checks that run before a request reaches its handler: a declared
//! `Content-Length` over the route's limit is refused at once (413, before
//! any of the body is read), and an `X-Request-Id` that is not a short
//! token is replaced, so what a client sends cannot forge log fields.

use super::error::ApiError;
use crate::domain::limits::MAX_BODY_BYTES;
use crate::domain::personal_data::IMPORT_MAX_BYTES;
use axum::extract::Request;
use axum::http::HeaderName;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The longest request id kept as sent.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// The body limit of the route `path` names.
fn body_limit(path: &str) -> usize {
    if path == "/v1/import" {
        IMPORT_MAX_BYTES
    } else {
        MAX_BODY_BYTES
    }
}

/// 413 `too_large` on a declared length over the limit, without waiting
/// for the body; a length that is not a number is 400.
pub async fn declared_length(req: Request, next: Next) -> Response {
    let Some(declared) = req.headers().get(CONTENT_LENGTH) else {
        return next.run(req).await;
    };
    let limit = body_limit(req.uri().path());
    match declared
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        Some(n) if n > limit as u64 => {
            ApiError::too_large(format!("request body is larger than {limit} bytes"))
                .into_response()
        }
        Some(_) => next.run(req).await,
        None => ApiError::invalid("content-length is not a number").into_response(),
    }
}

/// A request id as a client may send it: 1 to 128 of `[A-Za-z0-9._:-]`.
pub fn valid_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// Drop every `header` value unless there is exactly one and it is valid;
/// the request-id layer then makes a fresh one.
pub async fn request_id(header: HeaderName, mut req: Request, next: Next) -> Response {
    let values = req.headers().get_all(&header);
    let mut it = values.iter();
    let keep = matches!((it.next(), it.next()), (Some(v), None) if valid_request_id(v.as_bytes()));
    if !keep {
        req.headers_mut().remove(&header);
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_short_tokens() {
        assert!(valid_request_id(b"0193a1b2-req:1.2_x"));
        assert!(!valid_request_id(b""));
        assert!(!valid_request_id(b"a b"));
        assert!(!valid_request_id(b"x\" level=error msg=\"forged"));
        assert!(!valid_request_id("é".as_bytes()));
        assert!(!valid_request_id(&[b'a'; MAX_REQUEST_ID_LEN + 1]));
        assert!(valid_request_id(&[b'a'; MAX_REQUEST_ID_LEN]));
    }

    #[test]
    fn the_import_route_has_its_own_limit() {
        assert_eq!(body_limit("/v1/import"), IMPORT_MAX_BYTES);
        assert_eq!(body_limit("/v1/chat"), MAX_BODY_BYTES);
    }
}
