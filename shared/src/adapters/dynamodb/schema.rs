//! The table's definition, in one place: `hearth provision` creates the
//! table from it, and a test checks that template.yaml declares the same
//! keys, indexes and TTL. Key layout: docs/data-model.md.

/// Partition key: `U#<user>` for everything a person owns.
pub const PK: &str = "PK";
/// Sort key: `S#` sessions, `M#` messages, `C#` client ids, `F#` crisis flags, `A#` activity.
pub const SK: &str = "SK";
/// Local index: sessions by creation (`SC#<millis>#<session>`), sparse.
pub const LSI1: &str = "LSI1";
pub const LSI1SK: &str = "LSI1SK";
/// Global index: activity by day (`ACT#<yyyy-mm-dd>` / user), sparse.
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
/// TTL attribute (epoch seconds) on idempotency records.
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// A key schema: (hash attribute, range attribute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    pub hash: String,
    pub range: Option<String>,
}

/// What a test compares between this code and template.yaml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    pub key: KeySpec,
    /// (name, key), sorted by name.
    pub global_indexes: Vec<(String, KeySpec)>,
    pub local_indexes: Vec<(String, KeySpec)>,
    /// Every attribute in a key schema; all strings.
    pub string_attributes: Vec<String>,
    pub ttl_attribute: String,
}

fn key(hash: &str, range: &str) -> KeySpec {
    KeySpec {
        hash: hash.into(),
        range: Some(range.into()),
    }
}

/// The table as Hearth needs it.
pub fn table_spec() -> TableSpec {
    let mut attrs: Vec<String> = [PK, SK, LSI1SK, GSI1PK, GSI1SK]
        .iter()
        .map(|s| s.to_string())
        .collect();
    attrs.sort();
    TableSpec {
        key: key(PK, SK),
        global_indexes: vec![(GSI1.into(), key(GSI1PK, GSI1SK))],
        local_indexes: vec![(LSI1.into(), key(PK, LSI1SK))],
        string_attributes: attrs,
        ttl_attribute: TTL_ATTRIBUTE.into(),
    }
}

/// The job queue's redrive: deliveries before a job goes to the DLQ.
pub const DEFAULT_MAX_RECEIVES: u32 = 5;
/// Seconds a received job stays invisible; above the extractor's timeout.
pub const QUEUE_VISIBILITY_TIMEOUT_SECS: u32 = 180;
/// The DLQ keeps a failed job this long (14 days, SQS's maximum).
pub const DLQ_RETENTION_SECS: u32 = 1_209_600;
