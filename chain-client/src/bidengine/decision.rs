//! What the engine decided about an order and why: every order it looks at gets one logged
//! line, so a tenant's "why no bids?" has an answer in the provider's log.

use std::fmt;

use cosmwasm_std::{DecCoin, Decimal256};
use serde::Serialize;

/// Why the engine does not bid on an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// The order is priced in a denom the engine does not bid in.
    Denom { order: String, accepted: String },
    /// The group requires placement attributes the provider does not have.
    Attributes { missing: Vec<String> },
    /// The group needs a GPU model or storage class the inventory lacks (each listed).
    Capabilities { missing: Vec<String> },
    /// The group requires auditor signatures the provider does not hold.
    Auditors { auditors: Vec<String> },
    /// Larger than the whole inventory: it will never fit.
    TooLarge { detail: String },
    /// Does not fit what is free now (other bids and leases hold the rest); retried when
    /// capacity is released.
    NoCapacity { detail: String },
    /// The strategy has no price for it (no price for a GPU model, a failing script).
    NoPrice { detail: String },
    /// The strategy's price is above the order's ceiling.
    AboveCeiling { price: Decimal256, ceiling: Decimal256 },
    /// The order is not open, or holds the market's maximum of open bids and this provider's
    /// price is not below its most expensive one (`highest`), which a new bid would evict.
    OrderFull { max: u32, highest: Option<Decimal256> },
    /// The order expires before a bid could be included.
    Expiring { expires_at: u64 },
    /// The provider created the deployment itself.
    OwnOrder,
    /// This engine's bid on the order timed out and was closed; it does not bid again.
    BidTimedOut { closed_at: u64 },
}

impl SkipReason {
    /// Reasons that may change while the order stays open (capacity frees up, an auditor signs,
    /// the provider's attributes change on restart): the order is looked at again then.
    pub fn may_change(&self) -> bool {
        matches!(self, SkipReason::NoCapacity { .. } | SkipReason::Auditors { .. } | SkipReason::OrderFull { .. })
    }

    /// A short stable name (`no_capacity`), as in the JSON form.
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::Denom { .. } => "denom",
            SkipReason::Attributes { .. } => "attributes",
            SkipReason::Capabilities { .. } => "capabilities",
            SkipReason::Auditors { .. } => "auditors",
            SkipReason::TooLarge { .. } => "too_large",
            SkipReason::NoCapacity { .. } => "no_capacity",
            SkipReason::NoPrice { .. } => "no_price",
            SkipReason::AboveCeiling { .. } => "above_ceiling",
            SkipReason::OrderFull { .. } => "order_full",
            SkipReason::Expiring { .. } => "expiring",
            SkipReason::OwnOrder => "own_order",
            SkipReason::BidTimedOut { .. } => "bid_timed_out",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Denom { order, accepted } => write!(f, "priced in {order}; this provider bids in {accepted}"),
            SkipReason::Attributes { missing } => {
                write!(f, "provider lacks required attributes: {}", missing.join(", "))
            }
            SkipReason::Capabilities { missing } => write!(f, "inventory lacks {}", missing.join("; ")),
            SkipReason::Auditors { auditors } => {
                write!(f, "required attributes are not signed by the auditor(s) {}", auditors.join(", "))
            }
            SkipReason::TooLarge { detail } => write!(f, "larger than the whole inventory: {detail}"),
            SkipReason::NoCapacity { detail } => write!(f, "no free capacity: {detail}"),
            SkipReason::NoPrice { detail } => write!(f, "no price: {detail}"),
            SkipReason::AboveCeiling { price, ceiling } => {
                write!(f, "price {price} is above the order's ceiling {ceiling}")
            }
            SkipReason::OrderFull { max, highest: Some(h) } => {
                write!(f, "the order holds the maximum of {max} open bids and our price is not below its highest, {h}")
            }
            SkipReason::OrderFull { .. } => write!(f, "the order is no longer open"),
            SkipReason::Expiring { expires_at } => write!(f, "the order expires at height {expires_at}"),
            SkipReason::OwnOrder => write!(f, "the provider's own deployment"),
            SkipReason::BidTimedOut { closed_at } => {
                write!(f, "this provider's bid timed out and was closed at height {closed_at}")
            }
        }
    }
}

/// One decision about one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// A bid was placed (and included in block `height`).
    Bid { order: String, price: DecCoin, collateral: String, height: u64 },
    Skip {
        order: String,
        #[serde(flatten)]
        reason: SkipReason,
    },
    /// The bid tx was refused by the chain.
    Failed { order: String, error: String },
}

impl Decision {
    pub fn order(&self) -> &str {
        match self {
            Decision::Bid { order, .. } | Decision::Skip { order, .. } | Decision::Failed { order, .. } => order,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Bid { order, price, collateral, height } => {
                write!(
                    f,
                    "order {order}: bid {}{} per block, collateral {collateral} (height {height})",
                    price.amount, price.denom
                )
            }
            Decision::Skip { order, reason } => write!(f, "order {order}: no bid: {reason}"),
            Decision::Failed { order, error } => write!(f, "order {order}: bid refused: {error}"),
        }
    }
}
