//! The tenant's whole journey against a running market, as one function: deploy an SDL with
//! auto-match, watch the provider engines' bids arrive, let the bidding window close and match
//! the order (the cheapest qualifying bid becomes the lease), watch the escrow pay the lease
//! block by block, top the escrow up, close the deployment, and read back what everyone got.
//!
//! ```no_run
//! # async fn demo(client: leasehold_client::client::ChainClient,
//! #               market: leasehold_client::contracts::Marketplace,
//! #               mut tenant: leasehold_client::client::tx::Signer) -> Result<(), leasehold_client::demo::DemoError> {
//! use leasehold_client::demo::{self, DemoOptions};
//!
//! let report = demo::run(&client, &market, &mut tenant, &DemoOptions::default(), &mut |event| {
//!     println!("{event:?}");
//! })
//! .await?;
//! println!("{}", report.summary()); // demo finished in 14 blocks (heights 120..134), 15.2 s
//! # Ok(()) }
//! ```
//!
//! - [`run`] reports progress through [`DemoEvent`]s (every transaction with its hash, height,
//!   gas and fee, and what it did) and returns a [`DemoReport`] read from the chain after the close.
//! - If the run fails after the deployment was created, it closes the deployment so the deposit
//!   is refunded ([`DemoEvent::Aborted`]) and returns the error.
//! - `leasehold demo` (`src/cli/commands/demo.rs`) prints the events.

mod error;
mod events;
mod journey;
mod report;
mod wait;

use std::path::PathBuf;
use std::time::Duration;

use cosmwasm_std::Coin;

use crate::client::ChainClient;
use crate::client::tx::{Signer, TxOptions};
use crate::contracts::Marketplace;

pub use error::{DemoError, NO_BIDS_HINT};
pub use events::{DemoEvent, EscrowSnapshot, OrderInfo, PaymentSnapshot, Payout, Refund, TxInfo, Wait};
pub use report::{DemoReport, LeaseOutcome};

/// The SDL deployed when none is given (relative to the repository root).
pub const DEFAULT_SDL: &str = "examples/gpu-inference.yaml";
/// With no `deposit`, the escrow gets enough for this many blocks at the SDL's price ceiling
/// (and at least the market's minimum deposit).
pub const DEFAULT_DEPOSIT_BLOCKS: u64 = 1000;

/// How the demo runs.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub sdl: PathBuf,
    /// The escrow deposit, in the SDL's pricing denom. `None`: the larger of the market's minimum
    /// deposit and [`DEFAULT_DEPOSIT_BLOCKS`] blocks at the SDL's ceiling.
    pub deposit: Option<Coin>,
    /// Added to the escrow while the lease runs. `None`: a fifth of the deposit.
    pub top_up: Option<Coin>,
    /// The deployment's sequence number. `None`: the latest height.
    pub dseq: Option<u64>,
    /// How long to wait for the first bid on each order.
    pub bid_timeout: Duration,
    /// Blocks of payments shown before the top-up.
    pub stream_blocks: u64,
    /// How often the latest height is polled.
    pub poll_interval: Duration,
    /// A chain that produces no block for this long is an error.
    pub stall_timeout: Duration,
    /// Memo, gas and fees of the demo's transactions.
    pub tx: TxOptions,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            sdl: PathBuf::from(DEFAULT_SDL),
            deposit: None,
            top_up: None,
            dseq: None,
            bid_timeout: Duration::from_secs(60),
            stream_blocks: 5,
            poll_interval: Duration::from_millis(250),
            stall_timeout: Duration::from_secs(30),
            tx: TxOptions::default(),
        }
    }
}

impl DemoOptions {
    /// Checks what can be checked without the chain.
    pub fn validate(&self) -> Result<(), DemoError> {
        let bad = |option, reason: &str| Err(DemoError::Option { option, reason: reason.to_string() });
        if self.stream_blocks == 0 {
            return bad("stream_blocks", "must be at least 1");
        }
        if self.stream_blocks > 10_000 {
            return bad("stream_blocks", "must be at most 10000");
        }
        if self.bid_timeout.is_zero() {
            return bad("bid_timeout", "must be positive");
        }
        if self.poll_interval.is_zero() || self.poll_interval > Duration::from_secs(60) {
            return bad("poll_interval", "must be between 1 ms and 60 s");
        }
        if self.stall_timeout <= self.poll_interval {
            return bad("stall_timeout", "must be longer than the poll interval");
        }
        if self.dseq == Some(0) {
            return bad("dseq", "must be positive");
        }
        for (option, coin) in [("deposit", &self.deposit), ("top_up", &self.top_up)] {
            if coin.as_ref().is_some_and(|c| c.amount.is_zero()) {
                return bad(option, "must be positive");
            }
        }
        Ok(())
    }
}

/// Runs the demo as `tenant` against `market`, calling `on_event` as things happen.
pub async fn run(
    client: &ChainClient,
    market: &Marketplace,
    tenant: &mut Signer,
    opts: &DemoOptions,
    on_event: &mut impl FnMut(DemoEvent),
) -> Result<DemoReport, DemoError> {
    journey::run(client, market, tenant, opts, on_event).await
}
