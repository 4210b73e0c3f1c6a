//! `leasehold index`: run the indexer (`index run`) and query its database (`index query
//! leases|provider-stats|market-stats|status`). The database is a SQLite file or a
//! PostgreSQL URL (`--db`, `LEASEHOLD_INDEX_DB`, default `~/.leasehold/index.db`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::cli::config::default_dir;
use crate::cli::context::Ctx;
use crate::cli::error::CliError;
use crate::indexer::Contracts;
use crate::indexer::error::{IndexError, StoreError};
use crate::indexer::follow::Summary;
use crate::indexer::follow::{self, FollowOptions, Progress, StoreOpener};
use crate::indexer::queries::{self, KindPrice, LeaseFilter};
use crate::indexer::store::{self, Sql};

#[derive(Args, Debug, Clone)]
pub struct DbArg {
    /// Database: a SQLite file or postgres://user@host:port/db [default: client.toml's index_db,
    /// else ~/.leasehold/index.db]
    #[arg(long, env = "LEASEHOLD_INDEX_DB")]
    pub db: Option<String>,
}

impl DbArg {
    /// `--db` (or `LEASEHOLD_INDEX_DB`), else the client config's `index_db`, else the default.
    fn location(&self, ctx: &Ctx) -> String {
        self.db
            .clone()
            .or_else(|| ctx.file.index_db.clone())
            .unwrap_or_else(|| default_dir().join("index.db").to_string_lossy().into_owned())
    }

    /// [`DbArg::location`] of a database that must exist already: queries never create one (a
    /// mistyped path used to answer from a new, empty database).
    fn existing(&self, ctx: &Ctx) -> Result<String, CliError> {
        let location = self.location(ctx);
        if !store::is_postgres(&location) && !std::path::Path::new(&location).exists() {
            return Err(CliError::usage(format!(
                "no index database at {location}: `leasehold index run --db {location}` creates and fills it \
                 (or give --db, LEASEHOLD_INDEX_DB or index_db in the client config)"
            )));
        }
        Ok(location)
    }
}

#[derive(Subcommand, Debug)]
pub enum IndexCmd {
    /// Follow the chain and write blocks, txs, events and the market's state into the database
    #[command(
        after_help = "Example: leasehold index run --db ~/.leasehold/index.db\nMore:\n  leasehold index run --db postgres://indexer@127.0.0.1:5432/leasehold\n  leasehold index run --from-height 1   # re-index from scratch\n  leasehold index run --until 500       # index up to height 500, then exit"
    )]
    Run {
        #[command(flatten)]
        db: DbArg,
        /// Re-index from this height: drop rows from it on and rebuild the market's tables
        #[arg(long)]
        from_height: Option<u64>,
        /// Exit once this height is indexed (default: keep following the chain)
        #[arg(long)]
        until: Option<u64>,
        /// Milliseconds between polls for new blocks when caught up
        #[arg(long, default_value_t = 500)]
        poll_ms: u64,
        /// Blocks fetched ahead while catching up
        #[arg(long, default_value_t = 8)]
        prefetch: usize,
    },
    /// Query the index
    #[command(subcommand)]
    Query(IndexQueryCmd),
}

#[derive(Subcommand, Debug)]
pub enum IndexQueryCmd {
    /// Leases of a tenant and/or provider with their state, total paid and runway
    #[command(
        after_help = "Example: leasehold index query leases --tenant lease1xuevmc8crswsqhaq8ajprcyj56g7grexlszut7 -o table"
    )]
    Leases {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        provider: Option<String>,
        /// active, closed or insufficient_funds
        #[arg(long)]
        state: Option<String>,
    },
    /// Per provider: leases won, bids lost, revenue, median lease price per GPU model
    #[command(
        after_help = "Example: leasehold index query provider-stats --provider lease10m98lmw8taxwaqfucpxwkdedwtqgunppg3fa5a"
    )]
    ProviderStats {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        provider: Option<String>,
    },
    /// Open orders and the median bid price per resource kind
    #[command(after_help = "Example: leasehold index query market-stats -o json")]
    MarketStats {
        #[command(flatten)]
        db: DbArg,
    },
    /// The last indexed height and the rows in each table
    #[command(after_help = "Example: leasehold index query status")]
    Status {
        #[command(flatten)]
        db: DbArg,
    },
}

fn store_error(location: &str, e: StoreError) -> CliError {
    match e {
        StoreError::InvalidUrl { .. } => CliError::usage(e.to_string()),
        e => CliError::Other(format!("{}: {e}", store::redact(location))),
    }
}

fn index_error(e: IndexError) -> CliError {
    match e {
        IndexError::Client(c) => CliError::Client(c),
        IndexError::Usage { .. } => CliError::usage(e.to_string()),
        IndexError::Store(StoreError::InvalidUrl { .. } | StoreError::Mismatch { .. }) => {
            CliError::usage(e.to_string())
        }
        e => CliError::Other(e.to_string()),
    }
}

/// Opens the database and runs `f` on a blocking thread (the PostgreSQL client may not run
/// inside the async runtime), closing it there.
async fn with_store<T: Send + 'static>(
    location: String,
    f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, CliError> {
    tokio::task::spawn_blocking(move || {
        let mut s = store::open(&location).map_err(|e| store_error(&location, e))?;
        f(s.as_mut()).map_err(|e| store_error(&location, e))
    })
    .await
    .map_err(|e| CliError::Other(format!("query task failed: {e}")))?
}

pub async fn run(ctx: &Ctx, cmd: IndexCmd) -> Result<(), CliError> {
    match cmd {
        IndexCmd::Run { db, from_height, until, poll_ms, prefetch } => {
            run_indexer(ctx, db.location(ctx), from_height, until, poll_ms, prefetch).await
        }
        IndexCmd::Query(q) => query(ctx, q).await,
    }
}

async fn run_indexer(
    ctx: &Ctx,
    location: String,
    from_height: Option<u64>,
    until: Option<u64>,
    poll_ms: u64,
    prefetch: usize,
) -> Result<(), CliError> {
    if !store::is_postgres(&location)
        && let Some(dir) = PathBuf::from(&location).parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        std::fs::create_dir_all(dir).map_err(|e| CliError::usage(format!("--db {location}: {e}")))?;
    }
    let client = ctx.connect().await?;
    let contracts = Contracts::from(&ctx.marketplace(&client).await?);
    let opts = FollowOptions { from_height, until, poll: Duration::from_millis(poll_ms.max(10)), prefetch, hook: None };
    let loc = location.clone();
    let open: StoreOpener = Box::new(move || store::open(&loc));
    ctx.out.note(format!(
        "indexing chain {} (market {}) into {}",
        client.chain_id(),
        contracts.market,
        store::redact(&location)
    ));
    let out = ctx.out;
    let live = std::io::stderr().is_terminal();
    let report = move |p: &Progress| {
        if out.json() {
            return;
        }
        let line = format!("indexed height {}/{} ({:.1} blocks/s)", p.height, p.latest, p.blocks_per_sec);
        if live { eprint!("\r\x1b[2K{line}") } else { eprintln!("{line}") }
    };
    let summary: Summary = tokio::select! {
        r = follow::run(&client, contracts, open, opts, report) => r.map_err(index_error)?,
        _ = tokio::signal::ctrl_c() => {
            if live { eprintln!() }
            ctx.out.note("interrupted: the last block was written whole or not at all; run again to resume");
            return Ok(());
        }
    };
    if live && !ctx.out.json() {
        eprintln!();
    }
    ctx.out.print(&summary, || {
        format!(
            "indexed {} blocks ({} rows) in {:.1} s; last indexed height {}",
            summary.blocks, summary.rows, summary.secs, summary.last
        )
    });
    Ok(())
}

/// Rows as an aligned text table.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect::<Vec<_>>().join("  ")
    };
    let mut out = line(header.iter().map(|h| h.to_string()).collect()).trim_end().to_string();
    for r in rows {
        out.push('\n');
        out.push_str(line(r.clone()).trim_end());
    }
    if rows.is_empty() {
        out.push_str("\n(none)");
    }
    out
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "-".to_string(), ToString::to_string)
}

fn prices_table(prices: &[KindPrice]) -> String {
    let rows: Vec<Vec<String>> = prices
        .iter()
        .map(|k| {
            vec![
                k.resource_kind.clone(),
                k.denom.clone(),
                k.count.to_string(),
                k.median_price.clone(),
                opt(&k.median_price_per_gpu),
            ]
        })
        .collect();
    table(&["KIND", "DENOM", "COUNT", "MEDIAN PRICE/BLOCK", "MEDIAN PER GPU"], &rows)
}

fn print<T: Serialize>(ctx: &Ctx, value: &T, text: impl FnOnce() -> String) {
    ctx.out.print(value, text);
}

async fn query(ctx: &Ctx, q: IndexQueryCmd) -> Result<(), CliError> {
    match q {
        IndexQueryCmd::Leases { db, tenant, provider, state } => {
            if let Some(s) = &state
                && !["active", "closed", "insufficient_funds"].contains(&s.as_str())
            {
                return Err(CliError::usage(format!("--state {s:?}: expected active, closed or insufficient_funds")));
            }
            let (tenant, provider) = (ctx.opt_address(tenant, "tenant")?, ctx.opt_address(provider, "provider")?);
            let filter = LeaseFilter { tenant, provider, state };
            let leases = with_store(db.existing(ctx)?, move |s| queries::lease_infos(s, &filter)).await?;
            print(ctx, &leases, || {
                let rows: Vec<Vec<String>> = leases
                    .iter()
                    .map(|l| {
                        vec![
                            l.id.clone(),
                            l.state.clone(),
                            format!("{}{}", l.price, l.denom),
                            l.resource_kind.clone(),
                            l.created_at.to_string(),
                            opt(&l.closed_at),
                            format!("{}{}", l.paid, l.denom),
                            opt(&l.runway_blocks),
                        ]
                    })
                    .collect();
                table(&["LEASE", "STATE", "PRICE/BLOCK", "KIND", "CREATED", "CLOSED", "PAID", "RUNWAY (BLOCKS)"], &rows)
            });
        }
        IndexQueryCmd::ProviderStats { db, provider } => {
            let provider = ctx.opt_address(provider, "provider")?;
            let stats = with_store(db.existing(ctx)?, move |s| queries::provider_stats(s, provider.as_deref())).await?;
            print(ctx, &stats, || {
                let mut out = String::new();
                for p in &stats {
                    let revenue = p.revenue.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(",");
                    out.push_str(&format!(
                        "provider {}{}\n  leases won {} (active {}), bids {} (lost {}, open {}), revenue {}\n{}\n\n",
                        p.provider,
                        if p.registered { "" } else { " (not registered)" },
                        p.leases_won,
                        p.leases_active,
                        p.bids,
                        p.bids_lost,
                        p.bids_open,
                        if revenue.is_empty() { "0".into() } else { revenue },
                        prices_table(&p.lease_prices)
                    ));
                }
                if stats.is_empty() { "(no providers)".into() } else { out.trim_end().to_string() }
            });
        }
        IndexQueryCmd::MarketStats { db } => {
            let m = with_store(db.existing(ctx)?, queries::market_stats).await?;
            print(ctx, &m, || {
                let kinds =
                    m.open_orders_by_kind.iter().map(|(k, n)| format!("{k}: {n}")).collect::<Vec<_>>().join(", ");
                format!(
                    "height {}: {} providers, {} active deployments, {} open orders ({}), {} active leases, {} bids\n{}",
                    m.height,
                    m.providers,
                    m.deployments_active,
                    m.open_orders,
                    if kinds.is_empty() { "-".into() } else { kinds },
                    m.leases_active,
                    m.bids,
                    prices_table(&m.bid_prices)
                )
            });
        }
        IndexQueryCmd::Status { db } => {
            let s = with_store(db.existing(ctx)?, queries::status).await?;
            print(ctx, &s, || {
                let rows: Vec<Vec<String>> = s.tables.iter().map(|(t, n)| vec![t.clone(), n.to_string()]).collect();
                format!(
                    "last indexed height {} (chain {}, market {})\n{}",
                    s.last_height,
                    opt(&s.chain_id),
                    opt(&s.market),
                    table(&["TABLE", "ROWS"], &rows)
                )
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let t = table(&["A", "BB"], &[vec!["xxx".into(), "y".into()], vec!["z".into(), "wwww".into()]]);
        assert_eq!(t, "A    BB\nxxx  y\nz    wwww");
        assert_eq!(table(&["A"], &[]), "A\n(none)");
    }
}
