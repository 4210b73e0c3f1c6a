//! The SQLite backend: one file in WAL mode (readers never block the indexer), a 10 s busy
//! timeout, prepared statements cached per connection, write transactions `BEGIN IMMEDIATE`.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, TransactionBehavior, params_from_iter};

use crate::indexer::error::StoreError;
use crate::indexer::store::{Backend, Row, Sql, Store, StoreTx, Value};

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Owned(rusqlite::types::Value::Null),
            Value::Int(v) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*v)),
            Value::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
        })
    }
}

pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens (or creates) the database file.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.exists()
        {
            return Err(StoreError::InvalidUrl {
                url: path.display().to_string(),
                reason: format!("directory {} does not exist", dir.display()),
            });
        }
        Self::configure(Connection::open(path)?)
    }

    /// A private in-memory database (tests, benchmarks).
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        Self::configure(Connection::open_in_memory()?)
    }

    fn configure(conn: Connection) -> Result<SqliteStore, StoreError> {
        conn.busy_timeout(Duration::from_secs(10))?;
        // WAL: readers (queries) see the last committed block while the indexer writes;
        // synchronous=NORMAL: a commit is durable once the WAL is checkpointed, and an
        // interrupted commit is rolled back, never half applied.
        let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;")?;
        conn.set_prepared_statement_cache_capacity(256);
        Ok(SqliteStore { conn })
    }
}

/// `$N` → `?N`: SQLite numbers `$N` parameters by first appearance (as named parameters),
/// `?N` by `N` — which is what PostgreSQL's `$N` means. (No statement here has a `$` in a
/// string literal.)
fn numbered(sql: &str) -> std::borrow::Cow<'_, str> {
    if sql.contains('$') { std::borrow::Cow::Owned(sql.replace('$', "?")) } else { std::borrow::Cow::Borrowed(sql) }
}

fn run_query(conn: &Connection, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
    let mut stmt = conn.prepare_cached(&numbered(sql))?;
    let columns = stmt.column_count();
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut row = Vec::with_capacity(columns);
        for i in 0..columns {
            row.push(match r.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) => Value::Int(v),
                ValueRef::Real(f) => Value::Text(f.to_string()),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Text(hex::encode(b)),
            });
        }
        out.push(Row(row));
    }
    Ok(out)
}

fn run_execute(conn: &Connection, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
    let mut stmt = conn.prepare_cached(&numbered(sql))?;
    Ok(stmt.execute(params_from_iter(params.iter()))? as u64)
}

impl Sql for SqliteStore {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        run_execute(&self.conn, sql, params)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        run_query(&self.conn, sql, params)
    }
}

struct SqliteTx<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl Sql for SqliteTx<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        run_execute(&self.tx, sql, params)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        run_query(&self.tx, sql, params)
    }
}

impl StoreTx for SqliteTx<'_> {
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(self.tx.commit()?)
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn transaction(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Box::new(SqliteTx { tx }))
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch(sql)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `UPDATE t SET a = $2 WHERE k = $1` bound `$2` to the first value: SQLite numbers `$N`
    /// by first appearance.
    #[test]
    fn parameters_bind_by_number_not_by_appearance() {
        let mut s = SqliteStore::in_memory().unwrap();
        s.batch("CREATE TABLE t (k TEXT PRIMARY KEY, a BIGINT)").unwrap();
        s.execute("INSERT INTO t (k, a) VALUES ($1, $2)", &["x".into(), Value::Int(1)]).unwrap();
        assert_eq!(s.execute("UPDATE t SET a = $2 WHERE k = $1", &["x".into(), Value::Int(7)]).unwrap(), 1);
        let row = s.query_opt("SELECT a FROM t WHERE k = $1", &["x".into()]).unwrap().unwrap();
        assert_eq!(row.int(0).unwrap(), 7);
    }
}
