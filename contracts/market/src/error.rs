use cosmwasm_std::{Coin, StdError};
use leasehold_types::ValidationError;
use leasehold_types::funds::FundsError;
use thiserror::Error;

/// Every way a market message can fail. Each failure leaves state unchanged.
#[derive(Error, Debug)]
pub enum ContractError {
    #[error("{0}")]
    Std(#[from] StdError),

    #[error("invalid message: {0}")]
    Validation(#[from] ValidationError),

    #[error("unauthorized: {sender} may not {action}")]
    Unauthorized { action: &'static str, sender: String },

    #[error("{0}")]
    Funds(#[from] FundsError),

    #[error("denom {denom} is not accepted by the market")]
    DenomNotAllowed { denom: String },

    #[error("deposit denom {found} differs from the deployment's price denom {expected}")]
    DepositDenomMismatch { expected: String, found: String },

    #[error("deposit {deposit} is below the minimum {minimum}")]
    DepositTooLow { deposit: Coin, minimum: Coin },

    #[error("collateral {collateral} is below the minimum {minimum}")]
    CollateralTooLow { collateral: Coin, minimum: Coin },

    #[error("{field}: {address:?} is not a valid address")]
    InvalidAddress { field: String, address: String },

    #[error("dseq must not be zero")]
    ZeroDseq,

    #[error("manifest hash must be {expected} bytes, got {len}")]
    InvalidHash { expected: usize, len: usize },

    #[error("manifest hash is unchanged")]
    HashUnchanged,

    #[error("deployment {id} already exists")]
    DeploymentExists { id: String },

    #[error("deployment {id} not found")]
    DeploymentNotFound { id: String },

    #[error("deployment {id} is closed")]
    DeploymentClosed { id: String },

    #[error("group {id} not found")]
    GroupNotFound { id: String },

    #[error("group {id} is {state}; {action} is not allowed")]
    InvalidGroupState { id: String, state: String, action: &'static str },

    #[error("order {id} not found")]
    OrderNotFound { id: String },

    #[error("order {id} is {state}, not open")]
    OrderNotOpen { id: String, state: String },

    #[error("order {id} is {state}, not closed")]
    OrderNotClosed { id: String, state: String },

    #[error("order {id} expired at height {expired_at}")]
    OrderExpired { id: String, expired_at: u64 },

    #[error("order {id} does not expire before height {expires_at}")]
    OrderNotExpired { id: String, expires_at: u64 },

    #[error(
        "order {id} is full ({open} open bids, the limit is {max}): a new bid must be below its most expensive bid, {highest}"
    )]
    TooManyBids { id: String, open: u32, max: u32, highest: String },

    #[error("provider {provider} is excluded from deployment {deployment}")]
    ProviderExcluded { provider: String, deployment: String },

    #[error("provider {provider} is already excluded from deployment {deployment}")]
    ProviderAlreadyExcluded { provider: String, deployment: String },

    #[error("provider {provider} is not excluded from deployment {deployment}")]
    ProviderNotExcluded { provider: String, deployment: String },

    #[error("deployment {deployment} already excludes {max} providers (the most it can)")]
    TooManyExcluded { deployment: String, max: u32 },

    #[error("nothing to update: give a new manifest hash and/or a different auto_match")]
    NothingToUpdate,

    #[error("the escrow account of deployment {id} is overdrawn: deposit before starting a group")]
    EscrowOverdrawn { id: String },

    #[error("no admin transfer is pending")]
    NoPendingAdmin,

    #[error("bid {id} already exists (one bid per provider per order)")]
    BidExists { id: String },

    #[error("bid {id} not found")]
    BidNotFound { id: String },

    #[error("bid {id} is {state}, not open")]
    BidNotOpen { id: String, state: String },

    #[error("a provider cannot bid on its own deployment")]
    SelfBid,

    #[error("bid price {price} must be positive")]
    ZeroPrice { price: String },

    #[error("bid price denom {found} differs from the order's {expected}")]
    PriceDenomMismatch { expected: String, found: String },

    #[error("bid price {price} exceeds the order ceiling {ceiling}")]
    PriceAboveCeiling { price: String, ceiling: String },

    #[error("{provider} is not a registered provider")]
    ProviderNotRegistered { provider: String },

    #[error("provider attributes do not satisfy the placement requirements of group {group}")]
    PlacementMismatch { group: String },

    #[error("required auditor signatures are missing for group {group}")]
    SignaturesMissing { group: String },

    #[error("provider capabilities (GPU model, storage class) do not satisfy group {group}")]
    CapabilityMismatch { group: String },

    #[error("lease {id} not found")]
    LeaseNotFound { id: String },

    #[error("lease {id} is {state}, not active")]
    LeaseNotActive { id: String, state: String },

    #[error("close reason {reason} is not allowed for the {party}")]
    InvalidCloseReason { reason: String, party: &'static str },

    #[error("deployment {id} did not opt into auto-match")]
    AutoMatchDisabled { id: String },

    #[error("the bidding window of order {id} is open until height {until}")]
    BiddingWindowOpen { id: String, until: u64 },

    #[error("order {id} has no qualifying open bid")]
    NoQualifyingBid { id: String },

    #[error("malformed escrow reference {xid}")]
    MalformedEscrowRef { xid: String },

    #[error("unknown reply id {id}")]
    UnknownReply { id: u64 },

    #[error("reply carries no contract address")]
    MissingContractAddress,

    #[error("arithmetic overflow")]
    Overflow,
}
