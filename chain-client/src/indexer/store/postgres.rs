//! The PostgreSQL backend (crate `postgres`, no TLS: run it on a trusted network or a local
//! socket). Prepared statements are cached per connection; a write transaction locks the
//! progress row first (`SELECT … FOR UPDATE`, in the block writer), so two indexers on one
//! database serialise. The client runs its own runtime: use it on a blocking thread.

use std::collections::HashMap;
use std::error::Error as StdError;

use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};

use crate::indexer::error::StoreError;
use crate::indexer::store::{Backend, Row, Sql, Store, StoreTx, Value};

type BoxError = Box<dyn StdError + Sync + Send>;

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut postgres::types::private::BytesMut) -> Result<IsNull, BoxError> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                _ => v.to_string().as_str().to_sql(ty, out),
            },
            Value::Text(t) => match *ty {
                Type::INT8 => t.parse::<i64>()?.to_sql(ty, out),
                Type::INT4 => t.parse::<i32>()?.to_sql(ty, out),
                _ => t.as_str().to_sql(ty, out),
            },
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A result column read whatever its type (integers, text, booleans).
struct AnyValue(Value);

impl<'a> FromSql<'a> for AnyValue {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(AnyValue(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => Value::Int(i64::from(i16::from_sql(ty, raw)?)),
            Type::BOOL => Value::Int(i64::from(bool::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::Text(f64::from_sql(ty, raw)?.to_string()),
            Type::FLOAT4 => Value::Text(f32::from_sql(ty, raw)?.to_string()),
            _ => Value::Text(String::from_sql(ty, raw)?),
        }))
    }

    fn from_sql_null(_ty: &Type) -> Result<Self, BoxError> {
        Ok(AnyValue(Value::Null))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::INT8 | Type::INT4 | Type::INT2 | Type::BOOL | Type::FLOAT8 | Type::FLOAT4)
            || <String as FromSql>::accepts(ty)
    }
}

pub struct PgStore {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl PgStore {
    /// Connects to `url` (`postgres://user[:password]@host:port/db`).
    pub fn connect(url: &str) -> Result<PgStore, StoreError> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e: postgres::Error| StoreError::InvalidUrl { url: super::redact(url), reason: e.to_string() })?;
        let client = config.connect(NoTls)?;
        Ok(PgStore { client, statements: HashMap::new() })
    }
}

fn params_of(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

fn rows_of(rows: Vec<postgres::Row>) -> Result<Vec<Row>, StoreError> {
    rows.into_iter()
        .map(|r| {
            (0..r.len())
                .map(|i| {
                    r.try_get::<_, AnyValue>(i)
                        .map(|v| v.0)
                        .map_err(|e| StoreError::Column { column: i, reason: e.to_string() })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Row)
        })
        .collect()
}

/// The cached statement for `sql`, prepared on `client` the first time.
fn statement(
    statements: &mut HashMap<String, Statement>,
    client: &mut impl postgres::GenericClient,
    sql: &str,
) -> Result<Statement, StoreError> {
    if let Some(s) = statements.get(sql) {
        return Ok(s.clone());
    }
    let s = client.prepare(sql)?;
    statements.insert(sql.to_string(), s.clone());
    Ok(s)
}

impl Sql for PgStore {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let st = statement(&mut self.statements, &mut self.client, sql)?;
        Ok(self.client.execute(&st, &params_of(params))?)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let st = statement(&mut self.statements, &mut self.client, sql)?;
        rows_of(self.client.query(&st, &params_of(params))?)
    }
}

struct PgTx<'a> {
    tx: postgres::Transaction<'a>,
    statements: &'a mut HashMap<String, Statement>,
}

impl Sql for PgTx<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let st = statement(self.statements, &mut self.tx, sql)?;
        Ok(self.tx.execute(&st, &params_of(params))?)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let st = statement(self.statements, &mut self.tx, sql)?;
        rows_of(self.tx.query(&st, &params_of(params))?)
    }
}

impl StoreTx for PgTx<'_> {
    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(self.tx.commit()?)
    }
}

impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn transaction(&mut self) -> Result<Box<dyn StoreTx + '_>, StoreError> {
        let tx = self.client.transaction()?;
        Ok(Box::new(PgTx { tx, statements: &mut self.statements }))
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        // Statements cached before a schema change may describe dropped tables.
        self.statements.clear();
        Ok(self.client.batch_execute(sql)?)
    }
}
