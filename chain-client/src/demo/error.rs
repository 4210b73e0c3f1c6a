//! Why a demo run stopped: bad options, an SDL or deposit the market cannot take, providers that
//! never bid, a chain that stopped producing blocks, or the chain's own refusal.

use std::path::PathBuf;

use crate::client::ClientError;
use crate::sdl::SdlError;

/// Shown with [`DemoError::NoBids`]: the bids come from the provider engines.
pub const NO_BIDS_HINT: &str = "are the provider engines running? see `make run`";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// An option that cannot work (zero blocks to stream, a zero timeout, ...).
    #[error("invalid demo option {option}: {reason}")]
    Option { option: &'static str, reason: String },
    #[error("cannot read {}: {reason}", path.display())]
    Read { path: PathBuf, reason: String },
    #[error("{}: {source}", path.display())]
    Sdl { path: PathBuf, source: SdlError },
    /// A coin in another denom than the SDL prices in (the escrow account has one denom).
    #[error("{option} {given}: the SDL prices in {expected}, so the escrow takes only {expected}")]
    Denom { option: &'static str, given: String, expected: String },
    /// The market does not accept the SDL's pricing denom.
    #[error("the market does not accept {denom} (it accepts: {accepted})")]
    UnknownDenom { denom: String, accepted: String },
    #[error("deposit {given} is below the market's minimum deposit of {minimum}")]
    DepositTooSmall { given: String, minimum: String },
    /// No bid on an order within the timeout.
    #[error("no bid on order {order} within {waited_secs} s (chain at height {height}): {NO_BIDS_HINT}")]
    NoBids { order: String, waited_secs: u64, height: u64 },
    /// The chain did not produce a block for too long.
    #[error("the chain has been stuck at height {height} for {waited_secs} s: is the node running?")]
    Stalled { height: u64, waited_secs: u64 },
    /// The chain answered something the demo cannot use (a lease that is not where the market's
    /// events said, a deployment that created no order, ...).
    #[error("unexpected chain state: {0}")]
    Unexpected(String),
    #[error(transparent)]
    Chain(#[from] ClientError),
}
