//! The database schema, as numbered migrations applied in order (`indexer_meta.schema_version`
//! records the last one). The same DDL runs on SQLite and PostgreSQL: integers are `BIGINT`,
//! amounts and decimals exact `TEXT` (micro-units can exceed 64 bits; decimals have 18 places),
//! hashes hex `TEXT`, JSON `TEXT`. `docs/indexer.md` describes every table.

use crate::indexer::error::StoreError;
use crate::indexer::store::{Sql, Store, Value};

/// Tables rebuilt from the event log by a re-index (the current state of the market).
pub const DERIVED_TABLES: [&str; 11] = [
    "providers",
    "provider_audits",
    "deployments",
    "deployment_groups",
    "orders",
    "bids",
    "leases",
    "lease_history",
    "escrow_accounts",
    "escrow_payments",
    "escrow_ledger",
];

/// Tables keyed by block height (the raw log).
pub const RAW_TABLES: [&str; 6] = ["blocks", "txs", "msgs", "events", "event_attributes", "transfers"];

const V1: &str = r#"
CREATE TABLE IF NOT EXISTS indexer_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE blocks (
    height BIGINT PRIMARY KEY,
    hash TEXT NOT NULL,
    time TEXT NOT NULL,
    proposer TEXT NOT NULL,
    tx_count BIGINT NOT NULL
);
CREATE TABLE txs (
    height BIGINT NOT NULL,
    tx_index BIGINT NOT NULL,
    hash TEXT NOT NULL,
    code BIGINT NOT NULL,
    codespace TEXT NOT NULL,
    log TEXT NOT NULL,
    gas_wanted BIGINT NOT NULL,
    gas_used BIGINT NOT NULL,
    fee TEXT NOT NULL,
    memo TEXT NOT NULL,
    signer TEXT,
    msg_count BIGINT NOT NULL,
    PRIMARY KEY (height, tx_index)
);
CREATE INDEX txs_hash ON txs (hash);
CREATE INDEX txs_signer ON txs (signer, height);
CREATE TABLE msgs (
    height BIGINT NOT NULL,
    tx_index BIGINT NOT NULL,
    msg_index BIGINT NOT NULL,
    type_url TEXT NOT NULL,
    sender TEXT,
    contract TEXT,
    action TEXT,
    body TEXT,
    funds TEXT NOT NULL,
    PRIMARY KEY (height, tx_index, msg_index)
);
CREATE INDEX msgs_sender ON msgs (sender, height);
CREATE INDEX msgs_contract ON msgs (contract, action);
CREATE TABLE events (
    height BIGINT NOT NULL,
    tx_index BIGINT NOT NULL,
    event_index BIGINT NOT NULL,
    kind TEXT NOT NULL,
    msg_index BIGINT,
    contract TEXT,
    PRIMARY KEY (height, tx_index, event_index)
);
CREATE INDEX events_kind ON events (kind, height);
CREATE TABLE event_attributes (
    height BIGINT NOT NULL,
    tx_index BIGINT NOT NULL,
    event_index BIGINT NOT NULL,
    attr_index BIGINT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (height, tx_index, event_index, attr_index)
);
CREATE TABLE transfers (
    height BIGINT NOT NULL,
    tx_index BIGINT NOT NULL,
    event_index BIGINT NOT NULL,
    coin_index BIGINT NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    amount TEXT NOT NULL,
    denom TEXT NOT NULL,
    PRIMARY KEY (height, tx_index, event_index, coin_index)
);
CREATE INDEX transfers_sender ON transfers (sender, height);
CREATE INDEX transfers_recipient ON transfers (recipient, height);
CREATE TABLE providers (
    owner TEXT PRIMARY KEY,
    host_uri TEXT NOT NULL,
    attributes TEXT,
    email TEXT,
    website TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE TABLE provider_audits (
    owner TEXT NOT NULL,
    auditor TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT,
    signed_at BIGINT NOT NULL,
    PRIMARY KEY (owner, auditor, key)
);
CREATE TABLE deployments (
    owner TEXT NOT NULL,
    dseq BIGINT NOT NULL,
    state TEXT NOT NULL,
    hash TEXT NOT NULL,
    denom TEXT NOT NULL,
    auto_match BIGINT NOT NULL,
    group_count BIGINT NOT NULL,
    deposit TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    closed_at BIGINT,
    PRIMARY KEY (owner, dseq)
);
CREATE TABLE deployment_groups (
    owner TEXT NOT NULL,
    dseq BIGINT NOT NULL,
    gseq BIGINT NOT NULL,
    name TEXT,
    state TEXT NOT NULL,
    spec TEXT,
    resource_kind TEXT NOT NULL,
    gpu_units BIGINT NOT NULL,
    last_oseq BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (owner, dseq, gseq)
);
CREATE TABLE orders (
    owner TEXT NOT NULL,
    dseq BIGINT NOT NULL,
    gseq BIGINT NOT NULL,
    oseq BIGINT NOT NULL,
    state TEXT NOT NULL,
    price TEXT NOT NULL,
    denom TEXT NOT NULL,
    open_bids BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    matchable_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    closed_at BIGINT,
    close_reason TEXT,
    PRIMARY KEY (owner, dseq, gseq, oseq)
);
CREATE INDEX orders_state ON orders (state);
CREATE TABLE bids (
    owner TEXT NOT NULL,
    dseq BIGINT NOT NULL,
    gseq BIGINT NOT NULL,
    oseq BIGINT NOT NULL,
    provider TEXT NOT NULL,
    state TEXT NOT NULL,
    price TEXT NOT NULL,
    denom TEXT NOT NULL,
    collateral TEXT NOT NULL,
    collateral_denom TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    closed_at BIGINT,
    close_reason TEXT,
    PRIMARY KEY (owner, dseq, gseq, oseq, provider)
);
CREATE INDEX bids_provider ON bids (provider, state);
CREATE TABLE leases (
    owner TEXT NOT NULL,
    dseq BIGINT NOT NULL,
    gseq BIGINT NOT NULL,
    oseq BIGINT NOT NULL,
    provider TEXT NOT NULL,
    state TEXT NOT NULL,
    price TEXT NOT NULL,
    denom TEXT NOT NULL,
    matched_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    closed_at BIGINT,
    close_reason TEXT,
    reason_code BIGINT,
    PRIMARY KEY (owner, dseq, gseq, oseq, provider)
);
CREATE INDEX leases_provider ON leases (provider, state);
CREATE TABLE lease_history (
    height BIGINT NOT NULL,
    tx_index BIGINT NOT NULL,
    event_index BIGINT NOT NULL,
    owner TEXT NOT NULL,
    dseq BIGINT NOT NULL,
    gseq BIGINT NOT NULL,
    oseq BIGINT NOT NULL,
    provider TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (height, tx_index, event_index)
);
CREATE INDEX lease_history_lease ON lease_history (owner, dseq, gseq, oseq, provider);
CREATE TABLE escrow_accounts (
    account TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    xid TEXT NOT NULL,
    owner TEXT NOT NULL,
    denom TEXT NOT NULL,
    state TEXT NOT NULL,
    deposited TEXT NOT NULL,
    refunded TEXT NOT NULL,
    charged TEXT NOT NULL,
    rate TEXT NOT NULL,
    settled_at BIGINT NOT NULL,
    open_payments BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE TABLE escrow_payments (
    account TEXT NOT NULL,
    payment TEXT NOT NULL,
    payee TEXT NOT NULL,
    state TEXT NOT NULL,
    rate TEXT NOT NULL,
    denom TEXT NOT NULL,
    accrued TEXT NOT NULL,
    settled_at BIGINT NOT NULL,
    withdrawn TEXT NOT NULL,
    take TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    closed_at BIGINT,
    PRIMARY KEY (account, payment)
);
CREATE INDEX escrow_payments_payee ON escrow_payments (payee);
CREATE TABLE escrow_ledger (
    height BIGINT NOT NULL,
    tx_index BIGINT NOT NULL,
    event_index BIGINT NOT NULL,
    account TEXT NOT NULL,
    payment TEXT,
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    amount TEXT NOT NULL,
    take TEXT NOT NULL,
    denom TEXT NOT NULL,
    PRIMARY KEY (height, tx_index, event_index)
);
CREATE INDEX escrow_ledger_account ON escrow_ledger (account, payment);
CREATE INDEX escrow_ledger_address ON escrow_ledger (address, kind);
"#;

/// Version 2: providers a tenant excluded from its deployments (`provider-excluded` /
/// `provider-readmitted`), and each payment's own take rate (`escrow-payment-created`).
const V2: &str = r#"
ALTER TABLE escrow_payments ADD COLUMN take_rate TEXT;
CREATE TABLE deployment_exclusions (
    owner TEXT NOT NULL,
    dseq BIGINT NOT NULL,
    provider TEXT NOT NULL,
    reason TEXT NOT NULL,
    excluded_at BIGINT NOT NULL,
    PRIMARY KEY (owner, dseq, provider)
);
"#;

/// Every migration, in order; index + 1 is its version.
pub const MIGRATIONS: [&str; 2] = [V1, V2];

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// `indexer_meta[key]`.
pub fn meta(sql: &mut dyn Sql, key: &str) -> Result<Option<String>, StoreError> {
    sql.query_opt("SELECT value FROM indexer_meta WHERE key = $1", &[key.into()])?.map(|r| r.text(0)).transpose()
}

pub fn set_meta(sql: &mut dyn Sql, key: &str, value: &str) -> Result<(), StoreError> {
    sql.execute(
        "INSERT INTO indexer_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[key.into(), value.into()],
    )?;
    Ok(())
}

/// Brings the schema up to date (each migration in its own transaction).
pub fn migrate(store: &mut dyn Store) -> Result<(), StoreError> {
    store.batch("CREATE TABLE IF NOT EXISTS indexer_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);")?;
    let current: i64 = meta(store, "schema_version")?.map_or(Ok(0), |v| {
        v.parse().map_err(|_| StoreError::Inconsistent(format!("schema_version {v:?} is not a number")))
    })?;
    if current > latest_version() {
        return Err(StoreError::SchemaTooNew { found: current, known: latest_version() });
    }
    for (i, script) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = (i + 1).to_string();
        let script = format!(
            "BEGIN; {script} INSERT INTO indexer_meta (key, value) VALUES ('schema_version', '{version}') ON CONFLICT (key) DO UPDATE SET value = excluded.value; COMMIT;"
        );
        store.batch(&script)?;
    }
    Ok(())
}

/// The last indexed height (0: nothing indexed yet).
pub fn last_height(sql: &mut dyn Sql) -> Result<u64, StoreError> {
    match meta(sql, "last_height")? {
        None => Ok(0),
        Some(v) => v.parse().map_err(|_| StoreError::Inconsistent(format!("last_height {v:?} is not a number"))),
    }
}

/// Integers for the few places that need a `Value` list of one height.
pub fn height_param(h: u64) -> Result<Vec<Value>, StoreError> {
    Ok(vec![Value::u64(h)?])
}
