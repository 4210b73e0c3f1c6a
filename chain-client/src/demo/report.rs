//! The outcome of a finished demo, read back from the chain after the close.

use cosmwasm_std::{Coin, DecCoin, Uint256};
use leasehold_types::ids::LeaseId;
use serde::Serialize;

use crate::demo::events::TxInfo;

/// One lease of the demo, from creation to close.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeaseOutcome {
    pub id: LeaseId,
    pub price: DecCoin,
    pub created_at: u64,
    pub closed_at: u64,
    /// Blocks paid: `closed_at - created_at`.
    pub blocks: u64,
    /// Paid to the provider over the lease's life (its withdrawals and the close's payout).
    pub paid_to_provider: Uint256,
    /// Paid to the community pool out of the lease's earnings.
    pub take: Uint256,
}

/// A finished demo.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DemoReport {
    pub tenant: String,
    pub dseq: u64,
    /// The SDL's pricing denom (the escrow's).
    pub denom: String,
    /// The latest height when the demo started, and the height of its last transaction.
    pub start_height: u64,
    pub end_height: u64,
    pub elapsed_secs: f64,
    pub leases: Vec<LeaseOutcome>,
    /// The deposit and the top-up.
    pub deposited: Uint256,
    /// What the escrow returned to the tenant at the close.
    pub refunded: Uint256,
    /// The tenant's balance of `denom` before and after.
    pub tenant_before: Uint256,
    pub tenant_after: Uint256,
    /// Fees the demo's transactions paid.
    pub fees: Vec<Coin>,
    pub txs: Vec<TxInfo>,
}

impl DemoReport {
    /// Blocks from the start to the last transaction.
    pub fn blocks(&self) -> u64 {
        self.end_height.saturating_sub(self.start_height)
    }

    /// `deposited - refunded`: what the leases cost the tenant.
    pub fn spent_in_escrow(&self) -> Uint256 {
        self.deposited.saturating_sub(self.refunded)
    }

    /// How much `denom` the tenant's balance went down by (zero if it went up).
    pub fn tenant_spent(&self) -> Uint256 {
        self.tenant_before.saturating_sub(self.tenant_after)
    }

    /// The line every run ends with.
    pub fn summary(&self) -> String {
        format!(
            "demo finished in {} blocks (heights {}..{}), {:.1} s",
            self.blocks(),
            self.start_height,
            self.end_height,
            self.elapsed_secs
        )
    }
}
