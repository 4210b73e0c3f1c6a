//! Messages and state of the `market` contract: deployments, groups, orders, bids, leases.

use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::{Addr, Coin, DecCoin, HexBinary, Uint256};

use crate::escrow::{EscrowHookMsg, EscrowParams};
use crate::ids::{BidId, DeploymentId, GroupId, LeaseId, OrderId};
use crate::resources::GroupSpec;
use crate::validation::ValidationError;

/// Length of a manifest hash (SHA-256).
pub const HASH_LEN: usize = 32;
/// Upper bound of `max_bids_per_order` (Akash's default is 20 and its bound 500). Here the
/// worst-case `CloseDeployment` — 20 groups, every order full, each bid refunded — must fit the
/// node's per-tx gas limit with a 2x margin: about 104,000 gas per refund, so 20 x 20 refunds
/// take ~42M of the 100M limit (measured in `packages/wasm-host/tests/vm/attacks.rs`; 50 per order
/// took 104M).
pub const MAX_BIDS_PER_ORDER_LIMIT: u32 = 20;
/// Most providers a deployment excludes (explicitly or after the tenant closed their lease).
pub const MAX_EXCLUDED_PROVIDERS: u32 = 64;

/// A denom the market accepts, with its minimum deposits.
#[cw_serde]
pub struct DenomParams {
    pub denom: String,
    /// Least a deployment must deposit into escrow when it is created.
    pub min_deposit: Uint256,
    /// Least collateral a bid must post.
    pub bid_min_deposit: Uint256,
}

/// Market parameters, set at instantiate and changed only by the admin (governance).
#[cw_serde]
pub struct MarketParams {
    /// Denoms deployments may be priced in and bids collateralised in.
    pub denoms: Vec<DenomParams>,
    /// Most open bids one order holds. A bid on a full order is accepted only when it is
    /// strictly cheaper than the order's most expensive open bid, which it evicts (refunded);
    /// otherwise it is refused. Closed and lost bids do not count.
    pub max_bids_per_order: u32,
    /// Blocks after an order is created before `match_order` may pick a winner.
    pub bidding_window: u64,
    /// Blocks after an order is created after which, still without a lease, anyone may close it.
    /// Must exceed `bidding_window`.
    pub order_expiry: u64,
}

impl MarketParams {
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.denoms.is_empty() {
            return Err(ValidationError::Empty { field: "params.denoms".into() });
        }
        for (i, d) in self.denoms.iter().enumerate() {
            crate::validation::check_text(&format!("params.denoms[{i}].denom"), &d.denom, true, 128)?;
            if self.denoms[..i].iter().any(|e| e.denom == d.denom) {
                return Err(ValidationError::Duplicate { field: "params.denoms".into(), value: d.denom.clone() });
            }
        }
        if self.max_bids_per_order == 0 || self.max_bids_per_order > MAX_BIDS_PER_ORDER_LIMIT {
            return Err(ValidationError::OutOfRange {
                field: "params.max_bids_per_order".into(),
                value: self.max_bids_per_order.to_string(),
                min: "1".into(),
                max: MAX_BIDS_PER_ORDER_LIMIT.to_string(),
            });
        }
        if self.order_expiry <= self.bidding_window {
            return Err(ValidationError::OutOfRange {
                field: "params.order_expiry".into(),
                value: self.order_expiry.to_string(),
                min: (self.bidding_window.saturating_add(1)).to_string(),
                max: u64::MAX.to_string(),
            });
        }
        Ok(())
    }

    pub fn denom(&self, denom: &str) -> Option<&DenomParams> {
        self.denoms.iter().find(|d| d.denom == denom)
    }
}

#[cw_serde]
pub struct InstantiateMsg {
    /// May change params (governance). `None`: nobody can.
    pub admin: Option<String>,
    pub params: MarketParams,
    /// Code of the escrow contract; the market instantiates it and becomes its only driver.
    pub escrow_code_id: u64,
    pub escrow_params: EscrowParams,
    /// Code of the provider registry; the market instantiates it.
    pub provider_code_id: u64,
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum DeploymentState {
    Active,
    Closed,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum GroupState {
    Open,
    Paused,
    /// Its lease was closed because escrow ran out; `start_group` relists it after a deposit.
    InsufficientFunds,
    Closed,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum OrderState {
    Open,
    Active,
    Closed,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum BidState {
    Open,
    Active,
    Lost,
    Closed,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum LeaseState {
    Active,
    InsufficientFunds,
    Closed,
}

/// Why a lease ended. Codes follow Akash's ranges: 1-9999 tenant, 10000-19999 provider,
/// 20000+ network.
#[cw_serde]
#[derive(Copy, Eq)]
pub enum LeaseCloseReason {
    /// Closed by the tenant (or with its group/deployment). Code 1.
    Owner,
    /// Provider: the workload never became or stayed healthy. Code 10000.
    Unstable,
    /// Provider: hardware is being decommissioned. Code 10001.
    Decommission,
    /// Provider: no reason given. Code 10002.
    Unspecified,
    /// Provider: the tenant never sent the manifest. Code 10003.
    ManifestTimeout,
    /// Network: the deployment's escrow ran out. Code 20000.
    InsufficientFunds,
}

impl LeaseCloseReason {
    pub fn code(self) -> u32 {
        match self {
            Self::Owner => 1,
            Self::Unstable => 10000,
            Self::Decommission => 10001,
            Self::Unspecified => 10002,
            Self::ManifestTimeout => 10003,
            Self::InsufficientFunds => 20000,
        }
    }

    /// A reason a provider may give.
    pub fn is_provider_reason(self) -> bool {
        (10000..20000).contains(&self.code())
    }
}

#[cw_serde]
pub struct Deployment {
    pub id: DeploymentId,
    pub state: DeploymentState,
    /// SHA-256 of the canonical manifest.
    pub hash: HexBinary,
    /// Denom of all prices and of the escrow account.
    pub denom: String,
    /// Whether anyone may call `match_order` after the bidding window (the tenant switches it
    /// with `UpdateDeployment`).
    pub auto_match: bool,
    pub groups: u32,
    /// Providers excluded from bidding on this deployment (`ExcludedProviders` lists them).
    #[serde(default)]
    pub excluded: u32,
    pub created_at: u64,
    pub closed_at: Option<u64>,
}

#[cw_serde]
pub struct Group {
    pub id: GroupId,
    pub state: GroupState,
    pub spec: GroupSpec,
    /// `oseq` of the group's latest order.
    pub last_oseq: u32,
    pub created_at: u64,
}

#[cw_serde]
pub struct Order {
    pub id: OrderId,
    pub state: OrderState,
    /// The ceiling: sum of unit price x count of the group.
    pub price: DecCoin,
    /// Open bids (counted against `max_bids_per_order`).
    pub open_bids: u32,
    pub created_at: u64,
    /// First height at which `match_order` is allowed (auto-match deployments).
    pub matchable_at: u64,
    /// First height at which anyone may close the order if it has no lease.
    pub expires_at: u64,
    pub closed_at: Option<u64>,
}

#[cw_serde]
pub struct Bid {
    pub id: BidId,
    pub state: BidState,
    /// Price per block for the whole group.
    pub price: DecCoin,
    /// Collateral held in the bid's escrow account.
    pub collateral: Coin,
    pub created_at: u64,
    pub closed_at: Option<u64>,
}

#[cw_serde]
pub struct Lease {
    pub id: LeaseId,
    pub state: LeaseState,
    /// Price per block (the winning bid's price).
    pub price: DecCoin,
    pub created_at: u64,
    pub closed_at: Option<u64>,
    pub reason: Option<LeaseCloseReason>,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Creates deployment `sender/dseq` with one group (and one open order) per spec. The
    /// attached coin is the escrow deposit: one coin, in the groups' price denom, at least the
    /// denom's minimum.
    CreateDeployment { dseq: u64, hash: HexBinary, groups: Vec<GroupSpec>, auto_match: bool },
    /// The tenant changes an active deployment: a new manifest hash and/or auto-matching on or
    /// off. At least one must be given and differ from what is stored.
    UpdateDeployment { dseq: u64, hash: Option<HexBinary>, auto_match: Option<bool> },
    /// The tenant excludes `provider` from its deployment: its open bids on the deployment's
    /// orders are closed (collateral refunded) and it may not bid again until readmitted. A
    /// provider is also excluded automatically when the tenant closes its lease.
    ExcludeProvider { dseq: u64, provider: String },
    /// The tenant lifts an exclusion.
    ReadmitProvider { dseq: u64, provider: String },
    /// Closes the deployment, its groups, orders, bids and leases, and its escrow account
    /// (providers paid, depositors refunded).
    CloseDeployment { dseq: u64 },
    /// Closes the group's order, bids and lease; the group may be started again.
    PauseGroup { dseq: u64, gseq: u32 },
    /// Reopens a paused (or insufficient-funds) group with a new order.
    StartGroup { dseq: u64, gseq: u32 },
    /// Closes the group for good.
    CloseGroup { dseq: u64, gseq: u32 },
    /// Bids on an open order as the sender (a registered provider), at `price` per block for
    /// the whole group. The attached coin is the collateral.
    CreateBid { order: OrderId, price: DecCoin },
    /// The bidding provider withdraws an open bid; its collateral is refunded.
    CloseBid { bid: BidId },
    /// The order's tenant refuses an open bid: it is lost and its collateral refunded. The
    /// provider cannot bid on that order again (one bid per provider per order).
    RejectBid { bid: BidId },
    /// The tenant accepts a bid: it becomes the lease, every other open bid is lost and refunded.
    CreateLease { bid: BidId },
    /// Ends a lease. The tenant may give no reason or `owner`; the order is relisted while the
    /// group is open. The provider must give a provider reason; the group is paused.
    CloseLease { lease: LeaseId, reason: Option<LeaseCloseReason> },
    /// Anyone, after the bidding window of an auto-match deployment's order: leases the
    /// cheapest open bid (ties: earliest bid, then lowest provider address).
    MatchOrder { order: OrderId },
    /// Anyone, once an order without a lease has expired: closes it and its bids and pauses
    /// the group.
    CloseExpiredOrder { order: OrderId },
    /// Escrow contract only.
    EscrowHook(EscrowHookMsg),
    /// The market itself only (sent by `CloseDeployment`, one per order with open bids): closes
    /// and refunds the open bids of a closed order, so that closing a deployment of many full
    /// orders stays within the VM's response-size limit.
    RefundBids { order: OrderId },
    /// Admin only.
    UpdateParams { params: MarketParams },
    /// Admin only: proposes `admin` as the next admin (replacing any earlier proposal). Nothing
    /// changes until that address sends `AcceptAdmin`.
    ProposeAdmin { admin: String },
    /// The proposed admin only: becomes the admin.
    AcceptAdmin {},
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    #[returns(MarketParams)]
    Params {},
    /// A deployment with its groups.
    #[returns(DeploymentResponse)]
    Deployment { id: DeploymentId },
    /// Deployments, optionally of one owner and/or in one state, ordered by id.
    #[returns(DeploymentsResponse)]
    Deployments {
        owner: Option<String>,
        state: Option<DeploymentState>,
        start_after: Option<DeploymentId>,
        limit: Option<u32>,
    },
    #[returns(Group)]
    Group { id: GroupId },
    /// An order with its group spec.
    #[returns(OrderResponse)]
    Order { id: OrderId },
    /// Orders with their specs, optionally of one owner and/or in one state.
    #[returns(OrdersResponse)]
    Orders { owner: Option<String>, state: Option<OrderState>, start_after: Option<OrderId>, limit: Option<u32> },
    #[returns(Bid)]
    Bid { id: BidId },
    /// Bids, optionally of one order, of one provider and/or in one state.
    #[returns(BidsResponse)]
    Bids {
        order: Option<OrderId>,
        provider: Option<String>,
        state: Option<BidState>,
        start_after: Option<BidId>,
        limit: Option<u32>,
    },
    #[returns(Lease)]
    Lease { id: LeaseId },
    /// Leases, optionally of one owner (tenant), of one provider and/or in one state.
    #[returns(LeasesResponse)]
    Leases {
        owner: Option<String>,
        provider: Option<String>,
        state: Option<LeaseState>,
        start_after: Option<LeaseId>,
        limit: Option<u32>,
    },
    /// Number of active leases of a provider (asked by the registry before a delete).
    #[returns(ProviderLeaseCountResponse)]
    ProviderLeaseCount { provider: String },
    /// Providers excluded from a deployment, ordered by address.
    #[returns(ExcludedProvidersResponse)]
    ExcludedProviders { deployment: DeploymentId, start_after: Option<String>, limit: Option<u32> },
}

#[cw_serde]
pub struct ConfigResponse {
    pub admin: Option<Addr>,
    /// Proposed by the admin; becomes admin when it accepts.
    #[serde(default)]
    pub pending_admin: Option<Addr>,
    pub escrow: Addr,
    pub provider_registry: Addr,
}

#[cw_serde]
pub struct DeploymentResponse {
    pub deployment: Deployment,
    pub groups: Vec<Group>,
}

#[cw_serde]
pub struct DeploymentsResponse {
    pub deployments: Vec<Deployment>,
}

#[cw_serde]
pub struct OrderResponse {
    pub order: Order,
    pub spec: GroupSpec,
}

#[cw_serde]
pub struct OrdersResponse {
    pub orders: Vec<OrderResponse>,
}

#[cw_serde]
pub struct BidsResponse {
    pub bids: Vec<Bid>,
}

#[cw_serde]
pub struct LeasesResponse {
    pub leases: Vec<Lease>,
}

#[cw_serde]
pub struct ProviderLeaseCountResponse {
    pub active: u32,
}

#[cw_serde]
pub struct ExcludedProvidersResponse {
    pub providers: Vec<String>,
}
