//! The indexer's errors: reaching the node ([`ClientError`]), reading what it returned
//! ([`DecodeError`]), and the database ([`StoreError`]), gathered in [`IndexError`].

use crate::client::ClientError;

/// The database failed or refused an operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(String),
    #[error("invalid database location {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("column {column} of the query result: {reason}")]
    Column { column: usize, reason: String },
    #[error("value out of range for the database: {0}")]
    Range(String),
    #[error(
        "the database indexes {what} {stored:?}, not {given:?}: use another database or re-index with --from-height 1"
    )]
    Mismatch { what: &'static str, stored: String, given: String },
    #[error("the database schema is version {found}, newer than this indexer knows ({known}): upgrade leasehold")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("block {height} does not follow the last indexed block {last}: blocks must be indexed in order")]
    Gap { height: u64, last: u64 },
    #[error("the database is inconsistent: {0}")]
    Inconsistent(String),
    #[error("injected fault at height {height} ({stage})")]
    Injected { height: u64, stage: &'static str },
    #[error("the store worker stopped unexpectedly")]
    WorkerGone,
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        // The server's message (with its detail) is what helps; the generic `db error` is not.
        match e.as_db_error() {
            Some(db) => StoreError::Postgres(match db.detail() {
                Some(d) => format!("{}: {d}", db.message()),
                None => db.message().to_string(),
            }),
            None => StoreError::Postgres(e.to_string()),
        }
    }
}

/// Something the node returned could not be read as documented (`docs/events.md`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("height {height}, tx {tx_index}, event {event_index} ({kind}): {reason}")]
pub struct DecodeError {
    pub height: u64,
    pub tx_index: u32,
    pub event_index: u32,
    pub kind: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("malformed block from the node at height {height}: {reason}")]
    Block { height: u64, reason: String },
    #[error("malformed marketplace event at {0}")]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("invalid {what}: {reason}")]
    Usage { what: &'static str, reason: String },
}
