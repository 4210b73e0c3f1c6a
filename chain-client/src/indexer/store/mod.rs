//! The database behind the indexer, as one small interface both backends implement: [`Sql`]
//! runs a statement with positional parameters (`$1`, `$2`, … — the same text on SQLite and
//! PostgreSQL) and returns rows of [`Value`]s; [`Store`] opens transactions and runs schema
//! scripts. Everything above this module (schema, block writes, projections, queries) is
//! written once against these traits.
//!
//! Backends: [`sqlite`] (a file, WAL) and [`postgres`] (a server, no TLS). [`open`] picks one
//! from a location: `postgres://…`/`postgresql://…` is PostgreSQL, anything else a SQLite path.

pub mod postgres;
pub mod sqlite;

use crate::indexer::error::StoreError;

/// One SQL value. Integers are `BIGINT`; amounts and decimals are exact strings (`TEXT`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl Value {
    /// A height, count or index (errors above `i64::MAX`, which no chain reaches).
    pub fn u64(v: u64) -> Result<Value, StoreError> {
        i64::try_from(v).map(Value::Int).map_err(|_| StoreError::Range(format!("{v} exceeds a BIGINT")))
    }

    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }

    pub fn opt_text(s: Option<impl Into<String>>) -> Value {
        s.map_or(Value::Null, |s| Value::Text(s.into()))
    }

    pub fn opt_u64(v: Option<u64>) -> Result<Value, StoreError> {
        v.map_or(Ok(Value::Null), Value::u64)
    }

    pub fn bool(b: bool) -> Value {
        Value::Int(i64::from(b))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::Text(s.clone())
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

/// One result row with typed accessors (errors name the column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn get(&self, i: usize) -> Result<&Value, StoreError> {
        self.0.get(i).ok_or_else(|| StoreError::Column { column: i, reason: "no such column".into() })
    }

    pub fn int(&self, i: usize) -> Result<i64, StoreError> {
        match self.get(i)? {
            Value::Int(v) => Ok(*v),
            Value::Text(t) => {
                t.parse().map_err(|_| StoreError::Column { column: i, reason: format!("{t:?} is not an integer") })
            }
            Value::Null => Err(StoreError::Column { column: i, reason: "NULL where an integer was expected".into() }),
        }
    }

    pub fn u64(&self, i: usize) -> Result<u64, StoreError> {
        let v = self.int(i)?;
        u64::try_from(v).map_err(|_| StoreError::Column { column: i, reason: format!("{v} is negative") })
    }

    pub fn u32(&self, i: usize) -> Result<u32, StoreError> {
        let v = self.int(i)?;
        u32::try_from(v).map_err(|_| StoreError::Column { column: i, reason: format!("{v} does not fit 32 bits") })
    }

    pub fn opt_u64(&self, i: usize) -> Result<Option<u64>, StoreError> {
        match self.get(i)? {
            Value::Null => Ok(None),
            _ => self.u64(i).map(Some),
        }
    }

    pub fn text(&self, i: usize) -> Result<String, StoreError> {
        match self.get(i)? {
            Value::Text(t) => Ok(t.clone()),
            Value::Int(v) => Ok(v.to_string()),
            Value::Null => Err(StoreError::Column { column: i, reason: "NULL where text was expected".into() }),
        }
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.get(i)? {
            Value::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    pub fn bool(&self, i: usize) -> Result<bool, StoreError> {
        Ok(self.int(i)? != 0)
    }

    /// A parsed text column (amounts, decimals).
    pub fn parse<T: std::str::FromStr>(&self, i: usize) -> Result<T, StoreError>
    where
        T::Err: std::fmt::Display,
    {
        let t = self.text(i)?;
        t.parse().map_err(|e| StoreError::Column { column: i, reason: format!("{t:?}: {e}") })
    }
}

/// Statements with positional parameters `$1..$n`, each first used in order.
pub trait Sql {
    /// Runs a statement; returns the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    /// Runs a query; returns every row.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;

    /// The first row, if any.
    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

/// An open transaction: everything in it is committed together, or (dropped) not at all.
pub trait StoreTx: Sql {
    fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Which database a store is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database connection.
pub trait Store: Sql + Send {
    fn backend(&self) -> Backend;
    /// Begins a write transaction (taking the write lock at once, so two indexers on one
    /// database serialise instead of failing).
    fn transaction(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError>;
    /// Runs a script of several `;`-separated statements (schema changes).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
}

/// Opens the database at `location`: `postgres://` or `postgresql://` URLs are PostgreSQL,
/// anything else a SQLite file (created if missing). The schema is brought up to date.
///
/// PostgreSQL's client runs its own runtime: call this (and use the store) on a blocking
/// thread, never directly inside an async task.
pub fn open(location: &str) -> Result<Box<dyn Store>, StoreError> {
    let mut store: Box<dyn Store> = if is_postgres(location) {
        Box::new(postgres::PgStore::connect(location)?)
    } else {
        if location.trim().is_empty() {
            return Err(StoreError::InvalidUrl { url: location.into(), reason: "empty path".into() });
        }
        Box::new(sqlite::SqliteStore::open(std::path::Path::new(location))?)
    };
    crate::indexer::schema::migrate(store.as_mut())?;
    Ok(store)
}

pub fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// A location safe to print: the password of a PostgreSQL URL is hidden.
pub fn redact(location: &str) -> String {
    if !is_postgres(location) {
        return location.to_string();
    }
    let Some((scheme, rest)) = location.split_once("://") else { return location.to_string() };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => location.to_string(),
        },
        None => location.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(redact("postgres://u:secret@127.0.0.1:5432/db"), "postgres://u:***@127.0.0.1:5432/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("/tmp/x.db"), "/tmp/x.db");
    }

    #[test]
    fn rows_name_the_bad_column() {
        let row = Row(vec![Value::Null, Value::text("x"), Value::Int(-1)]);
        assert!(row.int(0).unwrap_err().to_string().contains("column 0"));
        assert!(row.int(1).unwrap_err().to_string().contains("not an integer"));
        assert!(row.u64(2).unwrap_err().to_string().contains("negative"));
        assert!(row.int(9).is_err());
        assert_eq!(row.opt_text(0).unwrap(), None);
    }
}
