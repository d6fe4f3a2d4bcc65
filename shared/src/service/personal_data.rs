//! A person's data as a whole: import of existing history and export of
//! everything held.
//!
//! Import takes NDJSON, each line checked on its own (a bad line is reported
//! by its number and the good ones are still imported), screens the
//! person's lines for crisis (the explicit cues, then the learned layer:
//! one batch assessment of a batch's lines of the person's, each kept with
//! its message; a failing risk model leaves the batch to the cues; a
//! flagged line is stored with its flag, and one import publishes at most
//! one `CrisisFlagged`), stores it
//! idempotently on `external_id`, and queues extraction of the imported
//! sessions. No model is called while the request is open. Export pages
//! through the store and writes one JSON document.

use super::retrieval::Retriever;
use crate::domain::assessment::StoredAssessment;
use crate::domain::events::DomainEvent;
use crate::domain::ids::UserId;
use crate::domain::jobs::Job;
use crate::domain::message::Role;
use crate::domain::personal_data::{
    EXPORT_PAGE_BYTES, IMPORT_MAX_LINES, ImportLine, check_not_future, parse_line,
};
use crate::domain::retrieval::Doc;
use crate::domain::safety;
use crate::domain::safety::flag::{FlagSource, Flagged};
use crate::domain::safety::learned::judge_turn;
use crate::ports::{PersonalData, Ports, RiskModel, StoreError};
use serde::Serialize;

/// Lines stored per store transaction.
pub const IMPORT_BATCH: usize = 500;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: u64,
    pub skipped: u64,
    pub errors: Vec<LineError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("more than {IMPORT_MAX_LINES} lines; split the file")]
    TooManyLines,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Parse NDJSON text. Blank lines are ignored; line numbers start at 1.
/// A line stamped after `now` (plus a little skew) is a line error.
pub fn parse_ndjson(
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(Vec<ImportLine>, Vec<LineError>), ImportError> {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut count = 0;
    for (i, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        count += 1;
        if count > IMPORT_MAX_LINES {
            return Err(ImportError::TooManyLines);
        }
        match parse_line(raw).and_then(|l| check_not_future(&l, now).map(|()| l)) {
            Ok(l) => lines.push(l),
            Err(message) => errors.push(LineError {
                line: i + 1,
                message,
            }),
        }
    }
    Ok((lines, errors))
}

/// Parse a whole NDJSON file, with no line limit: in request-sized chunks,
/// numbering lines from the top of the file.
pub fn parse_ndjson_file(
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> (Vec<ImportLine>, Vec<LineError>) {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let all: Vec<&str> = text.lines().collect();
    for (n, chunk) in all.chunks(IMPORT_MAX_LINES).enumerate() {
        // A chunk holds at most IMPORT_MAX_LINES lines, so it is never refused.
        let Ok((ok, bad)) = parse_ndjson(&chunk.join("\n"), now) else {
            continue;
        };
        lines.extend(ok);
        errors.extend(bad.into_iter().map(|mut e| {
            e.line += n * IMPORT_MAX_LINES;
            e
        }));
    }
    (lines, errors)
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Write(#[from] std::io::Error),
}

/// Write everything held about `user` to `out` as one JSON document,
/// `{"user", "exported_at", "items": [...]}`, a page at a time so memory
/// stays bounded. Returns how many items it wrote.
pub async fn export_document(
    store: &dyn PersonalData,
    user: &UserId,
    exported_at: chrono::DateTime<chrono::Utc>,
    out: &mut impl std::io::Write,
) -> Result<u64, ExportError> {
    let exported_at = exported_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    write!(
        out,
        "{{\"user\":{},\"exported_at\":{},\"items\":[",
        serde_json::Value::from(user.as_str()),
        serde_json::Value::from(exported_at)
    )?;
    let (mut cursor, mut count) = (None::<String>, 0u64);
    loop {
        let page = store
            .export_page(user, cursor.as_deref(), EXPORT_PAGE_BYTES)
            .await?;
        for item in &page.items {
            if count > 0 {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut *out, item).map_err(std::io::Error::from)?;
            count += 1;
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    writeln!(out, "]}}")?;
    out.flush()?;
    Ok(count)
}

/// `batch`, each line with the crisis screen's finding when it is the
/// person's own (imported replies were a model's words, not theirs): the
/// explicit cues, then the learned layer's scores from one assessment of
/// the batch's lines of the person's, kept with the lines.
async fn screened(risk: Option<&dyn RiskModel>, batch: &[ImportLine]) -> Vec<ImportLine> {
    let theirs: Vec<String> = batch
        .iter()
        .filter(|l| l.role == Role::User)
        .map(|l| l.content.clone())
        .collect();
    let mut read = match risk {
        Some(model) if !theirs.is_empty() => match model.assess(&theirs).await {
            Ok(all) if all.len() == theirs.len() => all
                .into_iter()
                .map(|a| {
                    Some(StoredAssessment {
                        model: model.model().to_owned(),
                        risk: a.risk,
                        vector: a.vector,
                    })
                })
                .collect(),
            Ok(_) => {
                tracing::warn!("the risk model did not answer for every imported line; the batch is screened without it");
                Vec::new()
            }
            Err(e) => {
                tracing::warn!(error = %e, "the risk model could not read the imported lines; the batch is screened without it");
                Vec::new()
            }
        },
        _ => Vec::new(),
    }
    .into_iter();
    let thresholds = risk.map(|m| m.thresholds());
    batch
        .iter()
        .map(|line| {
            if line.role == Role::Assistant {
                return line.clone();
            }
            let assessment = read.next().flatten();
            let learned = || {
                let (a, t) = (assessment.as_ref()?, thresholds.as_ref()?);
                judge_turn(&a.risk, t)
            };
            let crisis = match safety::screen(&line.content) {
                Some(signal) => Some(Flagged::from(&signal)),
                None => learned(),
            };
            ImportLine {
                crisis,
                assessment,
                ..line.clone()
            }
        })
        .collect()
}

/// Screen and store `lines` in batches, publish one `CrisisFlagged` if any
/// newly stored line was flagged, and queue extraction of every session
/// touched.
pub async fn import(
    ports: &Ports,
    retriever: &Retriever,
    user: &UserId,
    lines: &[ImportLine],
    mut progress: impl FnMut(usize),
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    let mut touched = std::collections::BTreeMap::new();
    // The newest flagged line among batches that stored a flag: what the
    // one event is about.
    let mut newest_flagged: Option<ImportLine> = None;
    for batch in lines.chunks(IMPORT_BATCH) {
        let n = batch.len();
        let batch = screened(ports.risk.as_deref(), batch).await;
        let mut outcome = ports.personal_data.import(user, &batch).await?;
        // Searchable at once, a person's lines by the screen's vectors; the
        // extraction jobs queued below encode the rest first.
        let flagged: std::collections::HashSet<&str> = batch
            .iter()
            .filter(|l| l.crisis.is_some())
            .map(|l| l.external_id.as_str())
            .collect();
        let docs = std::mem::take(&mut outcome.stored)
            .iter()
            .map(|m| {
                let crisis = m
                    .external_id
                    .as_deref()
                    .is_some_and(|e| flagged.contains(e));
                Doc::message(m)
                    .with_vector(retriever.screen_vector(m.assessment.as_ref()))
                    .in_crisis(crisis)
            })
            .collect();
        retriever.index_stored(user, docs).await;
        report.imported += outcome.imported;
        report.skipped += outcome.skipped;
        touched.extend(outcome.sessions);
        if outcome.flagged > 0 {
            let newest = batch
                .into_iter()
                .filter(|l| l.crisis.is_some())
                .chain(newest_flagged.take())
                .max_by_key(|l| l.created_at);
            newest_flagged = newest;
        }
        progress(n);
    }
    if let Some(line) = newest_flagged
        && let Some(flagged) = line.crisis
    {
        let event =
            DomainEvent::crisis_flagged(user, line.created_at, &flagged, FlagSource::Import);
        if let Err(e) = ports.events.publish(&[event]).await {
            // The flags are stored with the lines; only the notification failed.
            tracing::error!(error = %e, "could not publish CrisisFlagged");
        }
    }
    for (session, count) in touched {
        if let Some((from_seq, to_seq)) = ports
            .memories
            .claim_extraction(user, &session, count, 1)
            .await?
        {
            let job = Job::ExtractSession {
                user: user.clone(),
                session_id: session.clone(),
                from_seq,
                to_seq,
            };
            if let Err(e) = ports.queue.enqueue(&job).await {
                ports
                    .memories
                    .release_extraction(user, &session, (from_seq, to_seq))
                    .await?;
                return Err(e);
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_parsed_past_the_request_limit_with_its_own_line_numbers() {
        let good = r#"{"session_id":"s1","role":"user","content":"hi","created_at":"2025-01-01T00:00:00Z","external_id":"x"}"#;
        let mut text: Vec<String> = (0..IMPORT_MAX_LINES + 2)
            .map(|_| good.to_string())
            .collect();
        text.push("not json".into());
        let (lines, errors) = parse_ndjson_file(&text.join("\n"), chrono::Utc::now());
        assert_eq!(lines.len(), IMPORT_MAX_LINES + 2);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, IMPORT_MAX_LINES + 3);
    }
}
