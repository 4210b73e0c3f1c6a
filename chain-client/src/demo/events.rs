//! What the demo reports while it runs: one [`DemoEvent`] per thing that happened on chain (with
//! the transaction that did it) and a [`DemoEvent::Waiting`] heartbeat while it waits for blocks.

use std::fmt;
use std::time::Duration;

use cosmwasm_std::{Coin, DecCoin, Decimal256, Uint256};
use leasehold_types::ids::{BidId, OrderId};
use leasehold_types::market::{Bid, Lease};
use serde::Serialize;

use crate::client::ClientConfig;
use crate::client::tx::{TxOptions, TxResult};

/// An included transaction, as the demo shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TxInfo {
    pub hash: String,
    pub height: u64,
    pub gas_used: u64,
    pub gas_wanted: u64,
    /// What the signer paid: the fixed fees, or `ceil(gas_wanted × gas price)`.
    pub fee: Vec<Coin>,
}

impl TxInfo {
    pub(crate) fn new(r: &TxResult, config: &ClientConfig, opts: &TxOptions) -> TxInfo {
        let fee = match &opts.fees {
            Some(f) => f.clone(),
            None => {
                vec![Coin { denom: config.gas_price.denom.clone(), amount: config.gas_price.fee_for(r.gas_wanted) }]
            }
        };
        TxInfo { hash: r.hash.clone(), height: r.height, gas_used: r.gas_used, gas_wanted: r.gas_wanted, fee }
    }
}

/// An order the deployment opened.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderInfo {
    pub id: OrderId,
    /// The most the tenant pays per block for the whole group.
    pub ceiling: DecCoin,
    pub matchable_at: u64,
    pub expires_at: u64,
}

/// What the demo is waiting for.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Wait {
    /// The first bid on each of these orders.
    Bids { orders: Vec<OrderId> },
    /// The bidding window to close, at this height.
    BiddingWindow { matchable_at: u64 },
    /// Payments to stream up to this height.
    Payments { until: u64 },
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Wait::Bids { orders } if orders.len() == 1 => write!(f, "bids on order {}", orders[0]),
            Wait::Bids { orders } => write!(f, "bids on {} orders", orders.len()),
            Wait::BiddingWindow { matchable_at } => write!(f, "the bidding window to close (at block {matchable_at})"),
            Wait::Payments { until } => write!(f, "payments to stream until block {until}"),
        }
    }
}

/// One lease's payment, settled as of a block.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PaymentSnapshot {
    pub provider: String,
    pub rate: Decimal256,
    /// Exact total accrued so far.
    pub accrued: Decimal256,
    /// Paid out to the provider so far (withdrawals).
    pub withdrawn: Uint256,
}

/// The deployment's escrow account at one block.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EscrowSnapshot {
    pub height: u64,
    pub denom: String,
    pub deposited: Uint256,
    /// Not yet charged.
    pub balance: Decimal256,
    /// Charged to the leases so far (exact).
    pub charged: Decimal256,
    /// Paid per block, all leases together.
    pub rate: Decimal256,
    /// Blocks the balance still pays for; `None` when nothing is being paid.
    pub runway_blocks: Option<u64>,
    /// The runway in seconds at the block time the demo measured, when it could measure one.
    pub runway_secs: Option<u64>,
    pub payments: Vec<PaymentSnapshot>,
}

/// A payment closed with the deployment: what the provider got.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Payout {
    pub provider: String,
    /// Whole units the payment accrued over its life.
    pub accrued: Uint256,
    /// Paid to the provider by this close.
    pub amount: Uint256,
    /// Paid to the community pool by this close.
    pub take: Uint256,
    pub denom: String,
}

/// A refund of the close: the tenant's deposit rest, or a bid's collateral.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Refund {
    /// The escrow account (`deployment/...` or `bid/...`).
    pub account: String,
    pub to: String,
    pub amount: Uint256,
    pub denom: String,
}

/// Something that happened, in order.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum DemoEvent {
    /// Before anything is sent.
    Started {
        tenant: String,
        chain_id: String,
        market: String,
        height: u64,
        sdl: String,
        /// The tenant's balance of the SDL's denom and of the fee denom.
        balances: Vec<Coin>,
        deposit: Coin,
        top_up: Coin,
    },
    /// A step begins (`number` of `total`, from 1).
    Step {
        number: u32,
        total: u32,
        title: String,
    },
    /// A heartbeat while waiting: at most one per block (and one per poll when a wait starts).
    Waiting {
        what: Wait,
        height: u64,
        waited: Duration,
    },
    Deployed {
        tx: TxInfo,
        dseq: u64,
        deposit: Coin,
        orders: Vec<OrderInfo>,
        escrow_account: String,
    },
    /// A bid seen for the first time.
    BidReceived {
        bid: Bid,
    },
    /// The order was matched: `tx` is `None` when someone else's `match_order` got there first.
    Matched {
        tx: Option<TxInfo>,
        lease: Lease,
        lost: Vec<BidId>,
    },
    /// The escrow after one more block of payments.
    Streaming(EscrowSnapshot),
    ToppedUp {
        tx: TxInfo,
        amount: Coin,
        escrow: EscrowSnapshot,
    },
    Closed {
        tx: TxInfo,
        leases: Vec<Lease>,
        payouts: Vec<Payout>,
        refunds: Vec<Refund>,
    },
    /// The run failed after the deployment was created; the demo closed it so the deposit
    /// comes back (`cleanup` is the error when that close failed too).
    Aborted {
        dseq: u64,
        cleanup: Result<TxInfo, String>,
    },
}
