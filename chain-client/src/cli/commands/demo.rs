//! `leasehold demo`: the tenant's whole journey against a running market (`make run`), printed
//! step by step — what it waits for (with the elapsed time and the height) and, for every
//! transaction, its hash, height, fee and what it did on chain. The journey itself is
//! [`crate::demo::run`]; this prints its events.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use cosmwasm_std::Coin;
use serde::Serialize;

use crate::cli::args::GlobalArgs;
use crate::cli::context::Ctx;
use crate::cli::error::CliError;
use crate::cli::output::write_stdout;
use crate::cli::parse;
use crate::demo::{self, DemoError, DemoEvent, DemoOptions, DemoReport, EscrowSnapshot, TxInfo, Wait};
use leasehold_types::market::{BidState, LeaseCloseReason};

/// The key the demo signs with when neither `--from` nor the config names one.
pub const DEFAULT_KEY: &str = "tenant";

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// SDL file to deploy
    #[arg(long, default_value = demo::DEFAULT_SDL)]
    pub sdl: PathBuf,
    /// Escrow deposit in the SDL's denom, e.g. 5000000uusdc [default: the market's minimum
    /// deposit, or 1000 blocks at the SDL's price ceiling if that is more]
    #[arg(long)]
    pub deposit: Option<String>,
    /// Added to the escrow while the lease runs [default: a fifth of the deposit]
    #[arg(long)]
    pub top_up: Option<String>,
    /// Seconds to wait for the first bid on each order before giving up
    #[arg(long, default_value_t = 60)]
    pub bid_timeout: u64,
    /// Blocks of streaming payments to show before the top-up
    #[arg(long, default_value_t = 5)]
    pub blocks: u64,
    /// Deployment sequence number [default: the latest height]
    #[arg(long)]
    pub dseq: Option<u64>,
}

impl From<DemoError> for CliError {
    fn from(e: DemoError) -> Self {
        match e {
            DemoError::Chain(c) => CliError::Client(c),
            e @ (DemoError::Option { .. }
            | DemoError::Read { .. }
            | DemoError::Sdl { .. }
            | DemoError::Denom { .. }
            | DemoError::UnknownDenom { .. }
            | DemoError::DepositTooSmall { .. }) => CliError::usage(e.to_string()),
            e @ (DemoError::NoBids { .. } | DemoError::Stalled { .. } | DemoError::Unexpected(_)) => {
                CliError::Other(e.to_string())
            }
        }
    }
}

pub async fn run(ctx: &Ctx, args: DemoArgs) -> Result<(), CliError> {
    if args.bid_timeout == 0 {
        return Err(CliError::usage("--bid-timeout 0: expected a number of seconds, at least 1"));
    }
    let opts = DemoOptions {
        sdl: args.sdl,
        deposit: args.deposit.as_deref().map(|d| parse::coin(d, "--deposit")).transpose()?,
        top_up: args.top_up.as_deref().map(|d| parse::coin(d, "--top-up")).transpose()?,
        dseq: args.dseq,
        bid_timeout: Duration::from_secs(args.bid_timeout),
        stream_blocks: args.blocks,
        tx: ctx.tx_options()?,
        ..DemoOptions::default()
    };
    opts.validate().map_err(|e| match e {
        DemoError::Option { option: "stream_blocks", reason } => CliError::usage(format!("--blocks: {reason}")),
        DemoError::Option { option: "dseq", reason } => CliError::usage(format!("--dseq: {reason}")),
        other => other.into(),
    })?;
    if !opts.sdl.is_file() {
        return Err(CliError::usage(format!(
            "--sdl {}: no such file (run from the repository root, or pass --sdl PATH)",
            opts.sdl.display()
        )));
    }
    // The tenant key: --from, the config's `from`, or `tenant`.
    let ctx = if ctx.global.from.is_some() || ctx.file.from.is_some() {
        Ctx { global: ctx.global.clone(), file: ctx.file.clone(), config_path: ctx.config_path.clone(), out: ctx.out }
    } else {
        let global = GlobalArgs { from: Some(DEFAULT_KEY.to_string()), ..ctx.global.clone() };
        Ctx { global, file: ctx.file.clone(), config_path: ctx.config_path.clone(), out: ctx.out }
    };
    let client = ctx.connect().await?;
    let market = ctx.marketplace(&client).await?;
    let mut tenant = ctx.signer()?;
    ctx.confirm(&format!(
        "run the demo as {}: deploy {} with an escrow deposit, top it up, close it",
        tenant.address(),
        opts.sdl.display()
    ))?;
    let mut printer = Printer::new(ctx.out.json());
    let result = demo::run(&client, &market, &mut tenant, &opts, &mut |e| printer.event(e)).await;
    printer.end_wait_line();
    let report = result?;
    printer.finish(&report);
    Ok(())
}

/// Prints events as they come: text on stdout, the waiting heartbeat on stderr (one line
/// rewritten in a terminal, a line every few seconds otherwise); with `-o json`, one document
/// at the end with the report and every event but the heartbeats.
struct Printer {
    json: bool,
    interactive: bool,
    /// A heartbeat line is on stderr without its newline.
    open_line: bool,
    last_wait: Option<Instant>,
    events: Vec<DemoEvent>,
}

#[derive(Serialize)]
struct JsonOut<'a> {
    report: &'a DemoReport,
    events: &'a [DemoEvent],
}

fn coins(c: &[Coin]) -> String {
    if c.is_empty() { "nothing".into() } else { c.iter().map(Coin::to_string).collect::<Vec<_>>().join(",") }
}

fn tx_line(tx: &TxInfo) -> String {
    format!("  tx {} in block {} (gas {}/{}, fee {})", tx.hash, tx.height, tx.gas_used, tx.gas_wanted, coins(&tx.fee))
}

/// `1h02m03s`, `4m05s`, `12s`.
fn duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h{m:02}m{s:02}s")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

fn runway(s: &EscrowSnapshot) -> String {
    match (s.runway_blocks, s.runway_secs) {
        (None, _) => "unlimited (nothing is being paid)".into(),
        (Some(b), Some(secs)) => format!("{b} blocks (~{})", duration(secs)),
        (Some(b), None) => format!("{b} blocks"),
    }
}

fn bid_state(s: BidState) -> &'static str {
    match s {
        BidState::Open => "open",
        BidState::Active => "won",
        BidState::Lost => "lost",
        BidState::Closed => "closed",
    }
}

fn reason(r: LeaseCloseReason) -> &'static str {
    match r {
        LeaseCloseReason::Owner => "by the tenant",
        LeaseCloseReason::Unstable => "provider: unstable",
        LeaseCloseReason::Decommission => "provider: decommission",
        LeaseCloseReason::Unspecified => "provider: unspecified",
        LeaseCloseReason::ManifestTimeout => "provider: manifest timeout",
        LeaseCloseReason::InsufficientFunds => "insufficient funds",
    }
}

fn escrow_line(s: &EscrowSnapshot) -> String {
    let d = &s.denom;
    format!(
        "  block {}: balance {}{d}, accrued {}{d}, rate {}{d}/block, runway {}",
        s.height,
        s.balance,
        s.charged,
        s.rate,
        runway(s)
    )
}

impl Printer {
    fn new(json: bool) -> Printer {
        Printer {
            json,
            interactive: !json && std::io::stderr().is_terminal(),
            open_line: false,
            last_wait: None,
            events: Vec::new(),
        }
    }

    fn out(&mut self, text: String) {
        self.end_wait_line();
        if !self.json {
            write_stdout(format!("{text}\n").as_bytes());
        }
    }

    fn end_wait_line(&mut self) {
        if self.open_line {
            eprint!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
            self.open_line = false;
        }
    }

    fn event(&mut self, e: DemoEvent) {
        if self.json {
            if !matches!(e, DemoEvent::Waiting { .. }) {
                self.events.push(e);
            }
            return;
        }
        match &e {
            DemoEvent::Started { tenant, chain_id, market, height, sdl, balances, deposit, top_up } => {
                self.out(format!(
                    "leasehold demo on {chain_id} at height {height}\n  tenant  {tenant} (holds {})\n  market  {market}\n  sdl     {sdl}\n  plan    deposit {deposit}, top-up {top_up}",
                    coins(balances)
                ));
            }
            DemoEvent::Step { number, total, title } => self.out(format!("\n[{number}/{total}] {title}")),
            DemoEvent::Waiting { what, height, waited } => {
                let line = format!("  ... waiting for {what}: {:.0} s, height {height}", waited.as_secs_f64());
                if self.interactive {
                    eprint!("\r\x1b[2K{line}");
                    let _ = std::io::stderr().flush();
                    self.open_line = true;
                } else if !matches!(what, Wait::Payments { .. })
                    && self.last_wait.is_none_or(|t| t.elapsed() >= Duration::from_secs(5))
                {
                    // The per-block escrow lines already show the payments' progress.
                    eprintln!("{line}");
                    self.last_wait = Some(Instant::now());
                }
            }
            DemoEvent::Deployed { tx, dseq, deposit, orders, escrow_account } => {
                let mut s = format!(
                    "{}\n  deployment dseq {dseq}, escrow account {escrow_account} opened with {deposit}",
                    tx_line(tx)
                );
                for o in orders {
                    s.push_str(&format!(
                        "\n  order {}: ceiling {}{}/block, matchable at block {}, expires at block {}",
                        o.id, o.ceiling.amount, o.ceiling.denom, o.matchable_at, o.expires_at
                    ));
                }
                self.last_wait = None;
                self.out(s);
            }
            DemoEvent::BidReceived { bid } => self.out(format!(
                "  bid from {}: {}{}/block, collateral {} (placed in block {}, {})",
                bid.id.provider,
                bid.price.amount,
                bid.price.denom,
                bid.collateral,
                bid.created_at,
                bid_state(bid.state)
            )),
            DemoEvent::Matched { tx, lease, lost } => {
                let mut s = match tx {
                    Some(tx) => tx_line(tx),
                    None => "  (someone else matched the order first)".to_string(),
                };
                s.push_str(&format!(
                    "\n  lease {}\n    provider {} at {}{}/block, from block {}",
                    lease.id, lease.id.provider, lease.price.amount, lease.price.denom, lease.created_at
                ));
                for b in lost {
                    s.push_str(&format!("\n    lost: {} (collateral refunded)", b.provider));
                }
                self.out(s);
            }
            DemoEvent::Streaming(snap) => {
                let mut s = escrow_line(snap);
                for p in &snap.payments {
                    s.push_str(&format!(
                        "\n    payment to {}: accrued {}{}, withdrawn {}{}",
                        p.provider, p.accrued, snap.denom, p.withdrawn, snap.denom
                    ));
                }
                self.out(s);
            }
            DemoEvent::ToppedUp { tx, amount, escrow } => {
                self.out(format!("{}\n  deposited {amount}\n{}", tx_line(tx), escrow_line(escrow)));
            }
            DemoEvent::Closed { tx, leases, payouts, refunds } => {
                let mut s = tx_line(tx);
                for l in leases {
                    let blocks = l.closed_at.map(|c| c.saturating_sub(l.created_at));
                    s.push_str(&format!(
                        "\n  lease {} closed ({}) at block {}: {} blocks paid",
                        l.id,
                        l.reason.map_or("still active", reason),
                        l.closed_at.map_or("?".to_string(), |c| c.to_string()),
                        blocks.map_or("?".to_string(), |b| b.to_string())
                    ));
                }
                for p in payouts {
                    s.push_str(&format!(
                        "\n  paid {} {}{} (+{}{} take to the community pool; accrued {}{} in total)",
                        p.provider, p.amount, p.denom, p.take, p.denom, p.accrued, p.denom
                    ));
                }
                for r in refunds {
                    s.push_str(&format!("\n  refunded {}{} to {} from {}", r.amount, r.denom, r.to, r.account));
                }
                self.out(s);
            }
            DemoEvent::Aborted { dseq, cleanup } => match cleanup {
                Ok(tx) => self
                    .out(format!("\nstopping: closed deployment {dseq} so its deposit is refunded\n{}", tx_line(tx))),
                Err(e) => self.out(format!("\nstopping: closing deployment {dseq} failed too: {e}")),
            },
        }
    }

    fn finish(&mut self, r: &DemoReport) {
        if self.json {
            let doc = JsonOut { report: r, events: &self.events };
            let text = serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
            write_stdout(format!("{text}\n").as_bytes());
            return;
        }
        let d = &r.denom;
        let mut s = String::from("\nfinal balances");
        let spent = r.tenant_spent();
        let in_escrow = r.spent_in_escrow();
        s.push_str(&format!(
            "\n  tenant {d}: {} -> {} (spent {spent}{d}; deposited {}{d} - refunded {}{d} = {in_escrow}{d}{})",
            r.tenant_before,
            r.tenant_after,
            r.deposited,
            r.refunded,
            if spent == in_escrow { "" } else { "; the difference moved outside the demo" }
        ));
        for l in &r.leases {
            s.push_str(&format!(
                "\n  provider {} earned {}{d} ({} blocks at {}{}/block; {}{d} take to the community pool)",
                l.id.provider, l.paid_to_provider, l.blocks, l.price.amount, l.price.denom, l.take
            ));
        }
        s.push_str(&format!("\n  escrow refunded {}{d} to the tenant", r.refunded));
        s.push_str(&format!("\n  fees paid: {} over {} transactions", coins(&r.fees), r.txs.len()));
        s.push_str(&format!("\n{}", r.summary()));
        self.out(s);
    }
}
