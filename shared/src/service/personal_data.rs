//! Import of existing history: NDJSON in, each line checked on its own (a
//! bad line is reported by its number and the good ones are still
//! imported), stored idempotently on `external_id`, and extraction of the
//! imported sessions queued. No model is called while the request is open.

use crate::domain::ids::UserId;
use crate::domain::jobs::Job;
use crate::domain::personal_data::{IMPORT_MAX_LINES, ImportLine, parse_line};
use crate::ports::Ports;
use crate::ports::StoreError;
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
pub fn parse_ndjson(text: &str) -> Result<(Vec<ImportLine>, Vec<LineError>), ImportError> {
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
        match parse_line(raw) {
            Ok(l) => lines.push(l),
            Err(message) => errors.push(LineError {
                line: i + 1,
                message,
            }),
        }
    }
    Ok((lines, errors))
}

/// Store `lines` in batches and queue extraction of every session touched.
pub async fn import(
    ports: &Ports,
    user: &UserId,
    lines: &[ImportLine],
    mut progress: impl FnMut(usize),
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    let mut touched = std::collections::BTreeMap::new();
    for batch in lines.chunks(IMPORT_BATCH) {
        let outcome = ports.personal_data.import(user, batch).await?;
        report.imported += outcome.imported;
        report.skipped += outcome.skipped;
        touched.extend(outcome.sessions);
        progress(batch.len());
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
