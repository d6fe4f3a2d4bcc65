//! Extractors whose rejections are always the API's JSON errors: the bearer
//! user, a JSON body within the size limit, and paging parameters.

use super::error::ApiError;
use crate::app::App;
use crate::domain::ids::UserId;
use crate::domain::page::PageRequest;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The authenticated caller: the token's `sub`.
pub struct AuthUser(pub UserId);

impl FromRequestParts<Arc<App>> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        let user = app.auth.verify(token).await?;
        tracing::Span::current().record("user", tracing::field::display(&user));
        Ok(AuthUser(user))
    }
}

/// The authenticated caller with the age band their token claims (the
/// configured `HEARTH_AGE_CLAIM`), for the handlers that apply it.
pub struct AuthCaller(pub crate::auth::Caller);

impl FromRequestParts<Arc<App>> for AuthCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let token = bearer(parts)?;
        let caller = app.auth.verify_caller(token).await?;
        tracing::Span::current().record("user", tracing::field::display(&caller.user));
        Ok(AuthCaller(caller))
    }
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(crate::auth::AuthError::Missing)?;
    Ok(header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(crate::auth::AuthError::Missing)?)
}

/// A JSON body. Too large is 413 `too_large`; anything unreadable is 400
/// `invalid_request` naming what is wrong (serde's message and path).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::too_large(format!(
                    "request body is larger than {} bytes",
                    crate::domain::limits::MAX_BODY_BYTES
                ))
            } else {
                ApiError::invalid(format!("could not read the request body: {rejection}"))
            }
        })?;
        if bytes.is_empty() {
            return Err(ApiError::invalid("request body is empty; expected JSON"));
        }
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
            let at = e.path().to_string();
            match at.as_str() {
                "." | "" => ApiError::invalid(format!("invalid JSON body: {}", e.inner())),
                _ => ApiError::invalid(format!("invalid JSON body: {at}: {}", e.inner())),
            }
        })?;
        // One JSON document and nothing after it but whitespace.
        de.end().map_err(|e| {
            ApiError::invalid(format!("invalid JSON body: data after the JSON value: {e}"))
        })?;
        Ok(JsonBody(value))
    }
}

/// Path parameters; one that does not decode (`%ff`) is 400 JSON.
pub struct PathParam<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParam<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathParam(p.0))
            .map_err(|e| ApiError::invalid(format!("invalid path: {}", e.body_text())))
    }
}

/// A query string; one that does not parse (a duplicate key, a bad escape)
/// is 400 JSON.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| QueryParams(q.0))
            .map_err(|e| ApiError::invalid(format!("invalid query string: {}", e.body_text())))
    }
}

#[derive(Deserialize)]
struct PageParams {
    limit: Option<String>,
    cursor: Option<String>,
}

/// `?limit=&cursor=`, validated.
pub struct Paging(pub PageRequest);

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(p) = Query::<PageParams>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::invalid(format!("invalid query string: {e}")))?;
        let limit = match p.limit {
            None => None,
            Some(l) => Some(
                l.parse::<u32>()
                    .map_err(|_| ApiError::invalid("limit must be a whole number"))?,
            ),
        };
        Ok(Paging(PageRequest::new(limit, p.cursor)?))
    }
}
