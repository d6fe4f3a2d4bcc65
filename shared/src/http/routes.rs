//! The HTTP API (DESIGN.md, "The HTTP API"). Handlers are thin: extract,
//! call a use case or the store, map the result to JSON.

use super::error::{ApiError, store_error};
use super::extract::{AuthCaller, AuthUser, JsonBody, Paging, PathParam, QueryParams};
use super::views::{ChatResponse, List, MemoryView, MessageView, SessionView, WrittenView};
use crate::app::App;
use crate::domain::checkin::{CheckIn, Settings, SettingsPatch};
use crate::domain::ids::MemoryId;
use crate::domain::ids::{ClientMessageId, SessionId};
use crate::domain::journal::{JournalItem, JournalKind};
use crate::domain::memory::{Category, MemoryFilter, MemoryPatch};
use crate::domain::notices::AgeBand;
use crate::service::chat::ChatRequest;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

pub async fn healthz(State(app): State<Arc<App>>) -> Result<Json<Value>, ApiError> {
    if app.is_ready() {
        Ok(Json(json!({"status": "ok"})))
    } else {
        Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "starting",
            "Hearth is still starting",
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatBody {
    message: String,
    session_id: Option<String>,
    client_message_id: Option<String>,
    /// `false`: "don't remember this" (default true).
    #[serde(default)]
    remember: Option<bool>,
}

pub async fn chat(
    State(app): State<Arc<App>>,
    AuthCaller(caller): AuthCaller,
    JsonBody(body): JsonBody<ChatBody>,
) -> Result<Json<ChatResponse>, ApiError> {
    let user = caller.user;
    let session_id = body
        .session_id
        .map(SessionId::parse)
        .transpose()
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let client_message_id = body
        .client_message_id
        .map(ClientMessageId::parse)
        .transpose()
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let outcome = app
        .chat
        .turn_as(
            &user,
            caller.age_band,
            ChatRequest {
                remember: body.remember.unwrap_or(true),
                message: body.message,
                session_id,
                client_message_id,
            },
        )
        .await?;
    Ok(Json(outcome.into()))
}

pub async fn list_sessions(
    State(app): State<Arc<App>>,
    AuthUser(user): AuthUser,
    Paging(page): Paging,
) -> Result<Json<List<SessionView>>, ApiError> {
    let page = app
        .ports
        .conversations
        .list_sessions(&user, &page)
        .await
        .map_err(|e| store_error(e, "session"))?;
    Ok(Json(List::from_page(page, SessionView::from)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionPatch {
    remember: bool,
}

/// `PATCH /v1/sessions/{id}` `{"remember": false}`: keep the session's
/// turns out of memory, summaries and the index (`service::remember`).
pub async fn patch_session(
    State(app): State<Arc<App>>,
    AuthUser(user): AuthUser,
    PathParam(id): PathParam<String>,
    JsonBody(body): JsonBody<SessionPatch>,
) -> Result<Json<SessionView>, ApiError> {
    let session = SessionId::parse(id).map_err(|_| ApiError::not_found("session"))?;
    let marked = crate::service::remember::mark_session(
        &*app.ports.conversations,
        &*app.ports.memories,
        &user,
        &session,
        body.remember,
    )
    .await
    .map_err(|e| store_error(e, "session"))?;
    Ok(Json(marked.into()))
}

pub async fn list_messages(
    State(app): State<Arc<App>>,
    AuthUser(user): AuthUser,
    PathParam(id): PathParam<String>,
    Paging(page): Paging,
) -> Result<Json<List<MessageView>>, ApiError> {
    // An id that cannot exist is as unknown as one that does not.
    let session = SessionId::parse(id).map_err(|_| ApiError::not_found("session"))?;
    let page = app
        .ports
        .conversations
        .list_messages(&user, &session, &page)
        .await
        .map_err(|e| store_error(e, "session"))?;
    Ok(Json(List::from_page(page, MessageView::from)))
}

#[derive(Deserialize)]
pub struct MemoryQuery {
    category: Option<String>,
    include_superseded: Option<String>,
}

pub async fn list_memories(
    State(app): State<Arc<App>>,
    AuthUser(user): AuthUser,
    Paging(page): Paging,
    QueryParams(q): QueryParams<MemoryQuery>,
) -> Result<Json<List<MemoryView>>, ApiError> {
    let category = match q.category.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(Category::parse(c).ok_or_else(|| {
            let known: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
            ApiError::invalid(format!("category must be one of {}", known.join(", ")))
        })?),
    };
    let include_superseded = match q.include_superseded.as_deref() {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(_) => {
            return Err(ApiError::invalid(
                "include_superseded must be true or false",
            ));
        }
    };
    let filter = MemoryFilter {
        category,
        include_superseded,
    };
    let page = app
        .ports
        .memories
        .list_memories(&user, &filter, &page)
        .await
        .map_err(|e| store_error(e, "memory"))?;
    Ok(Json(List::from_page(page, MemoryView::from)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryPatchBody {
    content: Option<String>,
    importance: Option<u8>,
}

fn memory_id(id: String) -> Result<MemoryId, ApiError> {
    MemoryId::parse(id).map_err(|_| ApiError::not_found("memory"))
}

pub async fn edit_memory(
    State(app): State<Arc<App>>,
    AuthUser(user): AuthUser,
    PathParam(id): PathParam<String>,
    JsonBody(body): JsonBody<MemoryPatchBody>,
) -> Result<Json<MemoryView>, ApiError> {
    let id = memory_id(id)?;
    let patch = MemoryPatch {
        content: body.content,
        importance: body.importance,
    };
    patch
        .validate()
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    let embedding = app.retriever.edit_embedding(&user, &id, &patch).await;
    let memory = app
        .ports
        .memories
        .edit_memory(&user, &id, &patch, embedding, app.clock.now())
        .await
        .map_err(|e| store_error(e, "memory"))?;
    Ok(Json(memory.into()))
}

pub async fn forget_memory(
    State(app): State<Arc<App>>,
    AuthUser(user): AuthUser,
    PathParam(id): PathParam<String>,
) -> Result<Json<Value>, ApiError> {
    let id = memory_id(id)?;
    app.ports
        .memories
        .forget_memory(&user, &id, app.clock.now())
        .await
        .map_err(|e| store_error(e, "memory"))?;
    Ok(Json(json!({"forgotten": id.as_str()})))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    cursor: Option<String>,
}

/// Everything held about the caller, a page of about 1 MB at a time.
pub async fn export(
    State(app): State<Arc<App>>,
    AuthUser(user): AuthUser,
    QueryParams(q): QueryParams<ExportQuery>,
) -> Result<Json<Value>, ApiError> {
    let cursor = q.cursor.filter(|c| !c.is_empty());
    let page = app
        .ports
        .personal_data
        .export_page(
            &user,
            cursor.as_deref(),
            crate::domain::personal_data::EXPORT_PAGE_BYTES,
        )
        .await
        .map_err(|e| store_error(e, "export"))?;
    Ok(Json(
        json!({"items": page.items, "next_cursor": page.next_cursor}),
    ))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    limit: Option<String>,
}

/// `GET /v1/search?q=&limit=`: the retrieval engine over the caller's
/// messages, memories and summaries, best first.
pub async fn search(
    State(app): State<Arc<App>>,
    AuthUser(user): AuthUser,
    QueryParams(q): QueryParams<SearchQuery>,
) -> Result<Json<Value>, ApiError> {
    use crate::domain::limits::{DEFAULT_SEARCH_HITS, MAX_QUERY_CHARS, MAX_SEARCH_HITS};
    let text = q.q.as_deref().map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Err(ApiError::invalid("q is required: the words to search for"));
    }
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::invalid(format!(
            "q must be at most {MAX_QUERY_CHARS} characters"
        )));
    }
    let limit = match q.limit.as_deref() {
        None => DEFAULT_SEARCH_HITS,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_SEARCH_HITS).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "limit must be a whole number from 1 to {MAX_SEARCH_HITS}"
                ))
            })?,
    };
    let deadline = tokio::time::Instant::now() + crate::service::retrieval::QUERY_EMBED_BUDGET;
    let (vector, index) = tokio::join!(
        app.retriever.query_vector(text, deadline),
        app.retriever.index(&user)
    );
    let index = index.map_err(|e| store_error(e, "search index"))?;
    let query = crate::domain::retrieval::Query {
        text,
        vector: vector.as_ref(),
        route: crate::domain::route::Route::Support,
        now: app.clock.now(),
    };
    let hits: Vec<Value> = index
        .search(&query, limit)
        .iter()
        .map(|h| {
            json!({
                "kind": h.doc.kind.as_str(),
                "id": h.doc.id,
                "external_id": h.doc.external_id,
                "session_id": h.doc.session_id.as_str(),
                "text": h.doc.text,
                "created_at": h.doc.at,
                "score": (h.score * 1000.0).round() / 1000.0,
            })
        })
        .collect();
    // The list shape of every other endpoint; a search is one page.
    Ok(Json(json!({"items": hits, "next_cursor": null})))
}

/// Erase everything held about the caller, with a receipt.
pub async fn erase(
    State(app): State<Arc<App>>,
    AuthUser(user): AuthUser,
) -> Result<Json<Value>, ApiError> {
    let deleted = app
        .ports
        .personal_data
        .erase(&user, app.clock.now())
        .await
        .map_err(|e| store_error(e, "data"))?;
    app.retriever.forget(&user);
    // Counts by kind would say how many crisis flags this person had; the
    // log line carries their id, so it gives the total only.
    let items: u64 = deleted.counts().map(|(_, n)| n).sum();
    tracing::info!(user = %user, items, "erased");
    Ok(Json(json!({"deleted": deleted})))
}

/// NDJSON history in; counts and per-line errors out.
pub async fn import(
    State(app): State<Arc<App>>,
    AuthUser(user): AuthUser,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<crate::service::personal_data::ImportReport>, ApiError> {
    use crate::domain::personal_data::IMPORT_MAX_BYTES;
    use crate::service::personal_data::{ImportError, import, parse_ndjson};
    let bytes = body.map_err(|r| {
        if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(format!(
                "import body is larger than {IMPORT_MAX_BYTES} bytes; split the file"
            ))
        } else {
            ApiError::invalid(format!("could not read the request body: {r}"))
        }
    })?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::invalid("import body must be UTF-8 NDJSON"))?;
    let (lines, errors) = parse_ndjson(text, app.clock.now()).map_err(|e| match e {
        ImportError::TooManyLines => ApiError::too_large(e.to_string()),
        ImportError::Store(s) => store_error(s, "import"),
    })?;
    let mut report = import(&app.ports, &app.retriever, &user, &lines, |_| {})
        .await
        .map_err(|e| store_error(e, "import"))?;
    report.errors = errors;
    Ok(Json(report))
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("route")
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this method is not allowed on this path",
    )
}

fn locales() -> Vec<&'static str> {
    crate::domain::crisis_resources::TABLE
        .iter()
        .map(|r| r.locale)
        .collect()
}

/// `GET /v1/me/settings`: saved settings, or the defaults; `age_band` is
/// the token's age claim when it carries one.
pub async fn get_settings(
    State(app): State<Arc<App>>,
    AuthCaller(caller): AuthCaller,
) -> Result<Json<Settings>, ApiError> {
    let saved = app
        .ports
        .settings
        .settings(&caller.user)
        .await
        .map_err(|e| store_error(e, "settings"))?;
    let mut settings = saved.unwrap_or_else(|| Settings::defaults(&app.crisis_locale));
    settings.age_band = AgeBand::effective(caller.age_band, settings.age_band);
    Ok(Json(settings))
}

/// `PUT /v1/me/settings`: change the fields given; an invalid one is a 400
/// naming it. A minor (by the token's age claim or by the settings) is
/// never lifted to `adult` or `unknown`; with a claim, the claim is what
/// is stored.
pub async fn put_settings(
    State(app): State<Arc<App>>,
    AuthCaller(caller): AuthCaller,
    JsonBody(patch): JsonBody<SettingsPatch>,
) -> Result<Json<Settings>, ApiError> {
    let user = caller.user;
    if caller.age_band == Some(AgeBand::Minor)
        && patch.age_band.is_some_and(|b| b != AgeBand::Minor)
    {
        return Err(ApiError::invalid(
            "age_band: your sign-in says you are a minor, so it cannot be changed to adult or unknown",
        ));
    }
    let current = app
        .ports
        .settings
        .settings(&user)
        .await
        .map_err(|e| store_error(e, "settings"))?
        .unwrap_or_else(|| Settings::defaults(&app.crisis_locale));
    let mut next = patch
        .apply(&current, &locales())
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    next.age_band = AgeBand::effective(caller.age_band, next.age_band);
    app.ports
        .settings
        .put_settings(&user, &next)
        .await
        .map_err(|e| store_error(e, "settings"))?;
    Ok(Json(next))
}

/// `GET /v1/checkins`: the daily check-ins, newest first.
pub async fn list_checkins(
    State(app): State<Arc<App>>,
    AuthUser(user): AuthUser,
    Paging(page): Paging,
) -> Result<Json<List<CheckIn>>, ApiError> {
    let page = app
        .ports
        .checkins
        .list_checkins(&user, &page)
        .await
        .map_err(|e| store_error(e, "check-in"))?;
    Ok(Json(List::from_page(page, |c| c)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryBody {
    text: String,
}

/// `POST /v1/journal/entries`: store an entry (and queue its extraction),
/// with `crisis` when the screen flagged it.
pub async fn add_journal_entry(
    State(app): State<Arc<App>>,
    AuthUser(user): AuthUser,
    JsonBody(body): JsonBody<EntryBody>,
) -> Result<(axum::http::StatusCode, Json<WrittenView>), ApiError> {
    let written = app.journal().add_entry(&user, &body.text).await?;
    Ok((axum::http::StatusCode::CREATED, Json(written.into())))
}

/// `GET /v1/journal/entries`: entries, newest first.
pub async fn list_journal_entries(
    State(app): State<Arc<App>>,
    AuthUser(user): AuthUser,
    Paging(page): Paging,
) -> Result<Json<List<JournalItem>>, ApiError> {
    let page = app
        .ports
        .journal
        .list_journal(&user, Some(JournalKind::Entry), &page)
        .await
        .map_err(|e| store_error(e, "journal"))?;
    Ok(Json(List::from_page(page, |j| j)))
}

/// `GET /v1/journal/prompts`: prompts written so far, newest first.
pub async fn list_journal_prompts(
    State(app): State<Arc<App>>,
    AuthUser(user): AuthUser,
    Paging(page): Paging,
) -> Result<Json<List<JournalItem>>, ApiError> {
    let page = app
        .ports
        .journal
        .list_journal(&user, Some(JournalKind::Prompt), &page)
        .await
        .map_err(|e| store_error(e, "journal"))?;
    Ok(Json(List::from_page(page, |j| j)))
}

/// `POST /v1/journal/prompts`: write, store and return a reflective
/// prompt, with `crisis` when it is the gentle one.
pub async fn new_journal_prompt(
    State(app): State<Arc<App>>,
    AuthUser(user): AuthUser,
) -> Result<(axum::http::StatusCode, Json<WrittenView>), ApiError> {
    let written = app.journal().prompt(&user).await?;
    Ok((axum::http::StatusCode::CREATED, Json(written.into())))
}
