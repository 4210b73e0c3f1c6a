//! Messages and state of the `escrow` contract: accounts (a deployment's funds, a bid's
//! collateral), depositors, and per-lease streaming payments.
//!
//! Money model (exact, see the contract docs): every account holds whole micro-units
//! (`deposited`, `refunded`); payments accrue `rate x blocks` exactly as `Decimal256`; a payee
//! is paid `floor(accrued)` and the fractional rest returns to the payer when the payment
//! closes. Hence `deposited = balance + paid to payees + take + refunded` to the last micro-unit.

use std::fmt;

use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::{Addr, DecCoin, Decimal, Decimal256, Uint256};

use crate::ids::{BidId, DeploymentId, LeaseId};

/// Most distinct third-party (non-owner) depositor entries one account keeps. A new third party
/// beyond this is refused with `TooManyDepositors`; the owner and addresses that already have an
/// entry are never refused (repeat deposits merge into the address's entry).
pub const MAX_THIRD_PARTY_DEPOSITORS: usize = 16;
/// Most depositor entries an account holds: the owner's one entry plus
/// [`MAX_THIRD_PARTY_DEPOSITORS`]. (Accounts written by earlier versions of the contract may
/// hold up to 32 entries, several per address; they shrink as entries are spent and pruned.)
pub const MAX_DEPOSITORS: usize = 1 + MAX_THIRD_PARTY_DEPOSITORS;
/// Most open payments one account funds at a time.
pub const MAX_PAYMENTS: usize = 32;
/// Most accounts one `CloseAccounts` message closes.
pub const MAX_CLOSE_BATCH: usize = 64;
/// Longest account or payment `xid`.
pub const MAX_XID_LEN: usize = 256;

#[cw_serde]
#[derive(Copy, Eq, PartialOrd, Ord)]
pub enum AccountScope {
    /// A tenant's deployment funds; pays leases.
    Deployment,
    /// A provider's bid collateral.
    Bid,
}

/// An escrow account: `scope` plus the string form of the deployment or bid id.
#[cw_serde]
#[derive(Eq, PartialOrd, Ord)]
pub struct AccountId {
    pub scope: AccountScope,
    pub xid: String,
}

impl AccountId {
    pub fn deployment(id: &DeploymentId) -> Self {
        Self { scope: AccountScope::Deployment, xid: id.to_string() }
    }

    pub fn bid(id: &BidId) -> Self {
        Self { scope: AccountScope::Bid, xid: id.to_string() }
    }

    /// The storage key, e.g. `deployment/lease1.../42`.
    pub fn key(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scope = match self.scope {
            AccountScope::Deployment => "deployment",
            AccountScope::Bid => "bid",
        };
        write!(f, "{scope}/{}", self.xid)
    }
}

/// A payment out of a deployment account; one per lease, `xid = gseq/oseq/provider`.
#[cw_serde]
#[derive(Eq, PartialOrd, Ord)]
pub struct PaymentId {
    pub account: AccountId,
    pub xid: String,
}

impl PaymentId {
    pub fn for_lease(lease: &LeaseId) -> Self {
        Self {
            account: AccountId::deployment(&lease.deployment()),
            xid: format!("{}/{}/{}", lease.gseq, lease.oseq, lease.provider),
        }
    }
}

impl fmt::Display for PaymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.account, self.xid)
    }
}

/// The share of withdrawn earnings that goes to the community pool.
#[cw_serde]
pub struct TakeRate {
    pub denom: String,
    pub rate: Decimal,
}

/// The smallest deposit a third party (anyone but the account's owner) may make in a denom.
#[cw_serde]
pub struct DepositMinimum {
    pub denom: String,
    pub amount: Uint256,
}

#[cw_serde]
pub struct EscrowParams {
    /// Per-denom take rates (one entry per denom); denoms not listed use `default_take_rate`.
    /// Each rate is at most 1. A payment keeps the rate in force when it was created.
    pub take_rates: Vec<TakeRate>,
    pub default_take_rate: Decimal,
    /// Receives the take. A valid address other than the escrow contract itself.
    pub community_pool: String,
    /// Per-denom minimum of a third-party deposit (one entry per denom, each at least 1);
    /// denoms not listed use `default_deposit_minimum`. The owner's deposits have no minimum.
    #[serde(default)]
    pub deposit_minimums: Vec<DepositMinimum>,
    /// Minimum of a third-party deposit in denoms not listed in `deposit_minimums` (at least 1;
    /// 1 when absent).
    #[serde(default = "default_deposit_minimum")]
    pub default_deposit_minimum: Uint256,
}

/// The `default_deposit_minimum` of params stored without one: 1 micro-unit.
pub fn default_deposit_minimum() -> Uint256 {
    Uint256::one()
}

#[cw_serde]
pub struct InstantiateMsg {
    /// May change params. `None`: nobody can.
    pub admin: Option<String>,
    pub params: EscrowParams,
    /// The contract allowed to open and close accounts and payments. `None` means the
    /// instantiating account (the market instantiates its escrow).
    pub market: Option<String>,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Market only. Opens an account owned by `owner`, funded with the attached coin, which is
    /// recorded as `owner`'s deposit.
    OpenAccount { id: AccountId, owner: String },
    /// Anyone. Adds the attached coin (the account's denom) to an open or overdrawn account
    /// and records the sender as a depositor. An overdrawn account reopens.
    ///
    /// The owner's deposits are always accepted. A third party's deposit must be at least the
    /// denom's deposit minimum (`EscrowParams::deposit_minimums`), and a third party without an
    /// entry is refused once the account has `MAX_THIRD_PARTY_DEPOSITORS` third-party entries.
    /// Repeat deposits by an address merge into its entry, which keeps its place: funds are
    /// spent, and refunded, first-in-first-out by each entry's first deposit. Entries spent for
    /// good are pruned (a later deposit by that address starts a new entry at the end).
    Deposit { id: AccountId },
    /// Market only. Starts paying `payee` `rate` per block out of a deployment account. The
    /// payment keeps the take rate in force now for its whole life.
    CreatePayment { id: PaymentId, payee: String, rate: DecCoin },
    /// Market only. Settles, stops the payment, pays the payee what it accrued.
    ClosePayment { id: PaymentId },
    /// Market only. Settles, closes every payment (paying each payee), refunds depositors
    /// first-in-first-out, and closes the account (its depositor list is dropped). Unknown and
    /// already closed accounts are errors.
    CloseAccount { id: AccountId },
    /// Market only, no funds. Closes each listed account, in order, exactly as `CloseAccount`
    /// does (same payouts, refunds and events). At most `MAX_CLOSE_BATCH` ids, no id twice; an
    /// unknown or already closed account fails the whole message with the error `CloseAccount`
    /// gives. An empty list does nothing.
    CloseAccounts { ids: Vec<AccountId> },
    /// The payee only. Settles and pays out what the payment accrued, minus the take: the take
    /// is `floor(paid out so far including this payout x the payment's take rate)` less the take
    /// already paid, so how often the payee withdraws changes nothing.
    Withdraw { id: PaymentId },
    /// Anyone. Settles the account to the current block (detecting an overdraft) and prunes its
    /// depositor entries spent for good, as every settling message does.
    Settle { id: AccountId },
    /// Admin only. New take rates apply to payments created afterwards.
    UpdateParams { params: EscrowParams },
    /// Admin only, no funds. Proposes `admin` as the next admin, replacing any earlier
    /// proposal; nothing changes until that address sends `AcceptAdmin`.
    ProposeAdmin { admin: String },
    /// The proposed admin only, no funds. Makes the sender the admin and clears the proposal.
    AcceptAdmin {},
}

/// Sent by the escrow contract to the market when an account is found overdrawn.
#[cw_serde]
pub enum EscrowHookMsg {
    /// The account could fund its payments only through `funded_until`; each listed payment
    /// was stopped, paid what was funded, and must be closed for insufficient funds.
    AccountOverdrawn { account: AccountId, payments: Vec<String>, funded_until: u64 },
}

/// The envelope the escrow contract executes on the market (a subset of the market's
/// `ExecuteMsg`, serialised identically).
#[cw_serde]
pub enum MarketHookExecuteMsg {
    EscrowHook(EscrowHookMsg),
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    /// An account settled as of the current block (nothing is written).
    #[returns(AccountResponse)]
    Account { id: AccountId },
    /// One payment settled as of the current block.
    #[returns(Payment)]
    Payment { id: PaymentId },
    /// The payments of an account, ordered by `xid`.
    #[returns(PaymentsResponse)]
    Payments { account: AccountId, start_after: Option<String>, limit: Option<u32> },
    /// Open payments of one payee, across accounts.
    #[returns(PaymentsResponse)]
    PaymentsByPayee { payee: String, start_after: Option<PaymentId>, limit: Option<u32> },
    /// How long the account's balance lasts at the current rate.
    #[returns(RunwayResponse)]
    Runway { id: AccountId, block_time_ms: Option<u64> },
}

#[cw_serde]
pub struct MigrateMsg {}

/// The escrow's stored config (`cfg`): the `Config` query response without `pending_admin`,
/// which is stored on its own. Earlier versions stored the response itself, in this shape.
#[cw_serde]
pub struct Config {
    pub market: Addr,
    pub admin: Option<Addr>,
    pub params: EscrowParams,
}

#[cw_serde]
pub struct ConfigResponse {
    pub market: Addr,
    pub admin: Option<Addr>,
    pub params: EscrowParams,
    /// Proposed by the admin (`ProposeAdmin`), not yet accepted.
    #[serde(default)]
    pub pending_admin: Option<Addr>,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum AccountState {
    Open,
    /// Ran out of funds; payments were stopped. A deposit reopens it.
    Overdrawn,
    Closed,
}

#[cw_serde]
pub struct Account {
    pub id: AccountId,
    pub owner: Addr,
    pub state: AccountState,
    pub denom: String,
    /// Sum of all deposits (including those of depositor entries already pruned).
    pub deposited: Uint256,
    /// Sum of refunds to depositors.
    pub refunded: Uint256,
    /// Exact total accrued by the account's payments up to `settled_at`.
    pub charged: Decimal256,
    /// Sum of the rates of open payments, per block.
    pub rate: Decimal256,
    pub settled_at: u64,
    pub open_payments: u32,
}

impl Account {
    /// Funds not yet charged: `deposited - refunded - charged` (saturating at zero; the escrow
    /// contract never lets `charged` exceed what was deposited).
    pub fn balance(&self) -> Decimal256 {
        whole(self.deposited.saturating_sub(self.refunded)).saturating_sub(self.charged)
    }
}

/// A whole number of micro-units as a decimal (saturating at `Decimal256::MAX`, which is far
/// above any supply).
pub fn whole(amount: Uint256) -> Decimal256 {
    Decimal256::from_atomics(amount, 0).unwrap_or(Decimal256::MAX)
}

/// A depositor's entry in an account: everything the address deposited since the entry was
/// started (repeat deposits merge into it). Funds are spent in entry order, i.e. by each
/// entry's first deposit (first in, first out); `remaining` is what would be refunded to this
/// depositor if the account closed now. Entries spent for good are pruned, so the first entry
/// starts at `deposited - sum(amount)` in the account's cumulative deposits.
#[cw_serde]
pub struct Depositor {
    pub address: Addr,
    pub height: u64,
    pub amount: Uint256,
    pub remaining: Uint256,
}

#[cw_serde]
pub struct AccountResponse {
    pub account: Account,
    /// `deposited - refunded - charged`, settled as of now.
    pub balance: Decimal256,
    /// Depositor entries not yet spent for good, in spending order (at most `MAX_DEPOSITORS`;
    /// empty once the account is closed: its `escrow-refunded` events record the refunds).
    pub depositors: Vec<Depositor>,
    /// True when settling now would find the account overdrawn.
    pub overdrawn_now: bool,
}

#[cw_serde]
#[derive(Copy, Eq)]
pub enum PaymentState {
    Open,
    /// Stopped because the account ran out; paid what was funded.
    Overdrawn,
    Closed,
}

#[cw_serde]
pub struct Payment {
    pub id: PaymentId,
    pub payee: Addr,
    pub state: PaymentState,
    pub rate: DecCoin,
    /// Exact total accrued up to `settled_at`.
    pub accrued: Decimal256,
    pub settled_at: u64,
    /// Paid to the payee.
    pub withdrawn: Uint256,
    /// Paid to the community pool out of this payment's earnings. After every payout
    /// `take == floor((withdrawn + take) x take_rate)`: the take is computed on the cumulative
    /// earnings, so it does not depend on how often the payee withdraws.
    pub take: Uint256,
    /// The take rate in force when the payment was created; later params changes do not
    /// affect it. `None` only for payments stored by earlier versions of the contract, which
    /// use the current params' rate.
    #[serde(default)]
    pub take_rate: Option<Decimal>,
}

impl Payment {
    /// Whole micro-units accrued but not yet paid out (payee share plus take).
    pub fn unpaid(&self) -> Uint256 {
        self.accrued.to_uint_floor().saturating_sub(self.withdrawn).saturating_sub(self.take)
    }
}

#[cw_serde]
pub struct PaymentsResponse {
    pub payments: Vec<Payment>,
}

#[cw_serde]
pub struct RunwayResponse {
    /// Sum of open payment rates per block.
    pub rate: Decimal256,
    pub balance: Decimal256,
    /// Blocks from now that are fully funded; `None` when nothing is being paid.
    pub blocks: Option<u64>,
    /// The last fully funded height; settling at any later height finds the account overdrawn.
    pub funded_until: Option<u64>,
    /// `blocks x block_time_ms / 1000`, when a block time was given.
    pub seconds: Option<u64>,
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::{from_json, to_json_string};

    use super::*;

    /// State and params written by earlier versions of the contract still read.
    #[test]
    fn state_and_params_of_earlier_versions_still_read() {
        let params: EscrowParams =
            from_json(r#"{"take_rates":[],"default_take_rate":"0.02","community_pool":"pool"}"#).unwrap();
        assert_eq!(params.deposit_minimums, vec![]);
        assert_eq!(params.default_deposit_minimum, Uint256::one());

        let payment: Payment = from_json(
            r#"{"id":{"account":{"scope":"deployment","xid":"o/1"},"xid":"1/1/p"},"payee":"p","state":"open",
                "rate":{"denom":"uact","amount":"1"},"accrued":"0","settled_at":1,"withdrawn":"0","take":"0"}"#,
        )
        .unwrap();
        assert_eq!(payment.take_rate, None);
        let again: Payment = from_json(to_json_string(&payment).unwrap()).unwrap();
        assert_eq!(again, payment);

        // the config earlier versions stored (a ConfigResponse without pending_admin)
        let cfg: Config = from_json(
            r#"{"market":"market","admin":"admin",
                "params":{"take_rates":[],"default_take_rate":"0.02","community_pool":"pool"}}"#,
        )
        .unwrap();
        assert_eq!(cfg.admin, Some(Addr::unchecked("admin")));
        assert_eq!(cfg.params.default_deposit_minimum, Uint256::one());
        let response: ConfigResponse = from_json(to_json_string(&cfg).unwrap()).unwrap();
        assert_eq!(response.pending_admin, None);
    }
}
