//! The messages the market sends its escrow contract (and the one it sends itself).

use cosmwasm_std::{Addr, Coin, CosmosMsg, DecCoin, StdResult, WasmMsg, to_json_binary};
use leasehold_types::escrow::{AccountId, ExecuteMsg, PaymentId};
use leasehold_types::ids::{LeaseId, OrderId};

fn exec(escrow: &Addr, msg: &ExecuteMsg, funds: Vec<Coin>) -> StdResult<CosmosMsg> {
    Ok(WasmMsg::Execute { contract_addr: escrow.to_string(), msg: to_json_binary(msg)?, funds }.into())
}

/// Opens `id` funded with `deposit`, recorded as `owner`'s.
pub fn open_account(escrow: &Addr, id: AccountId, owner: &Addr, deposit: Coin) -> StdResult<CosmosMsg> {
    exec(escrow, &ExecuteMsg::OpenAccount { id, owner: owner.to_string() }, vec![deposit])
}

/// Settles `id`, pays its payees, refunds its depositors and closes it.
pub fn close_account(escrow: &Addr, id: AccountId) -> StdResult<CosmosMsg> {
    exec(escrow, &ExecuteMsg::CloseAccount { id }, vec![])
}

/// Closes the accounts (one `CloseAccount` for one, `CloseAccounts` for more; at most
/// `MAX_CLOSE_BATCH`).
pub fn close_accounts(escrow: &Addr, mut ids: Vec<AccountId>) -> StdResult<CosmosMsg> {
    if ids.len() == 1
        && let Some(id) = ids.pop()
    {
        return close_account(escrow, id);
    }
    exec(escrow, &ExecuteMsg::CloseAccounts { ids }, vec![])
}

/// The market's call to itself that refunds a closed order's open bids.
pub fn refund_bids(market: &Addr, order: &OrderId) -> StdResult<CosmosMsg> {
    let msg = leasehold_types::market::ExecuteMsg::RefundBids { order: order.clone() };
    Ok(WasmMsg::Execute { contract_addr: market.to_string(), msg: to_json_binary(&msg)?, funds: vec![] }.into())
}

/// Starts paying the lease's provider `rate` per block from the deployment account.
pub fn create_payment(escrow: &Addr, lease: &LeaseId, rate: DecCoin) -> StdResult<CosmosMsg> {
    let msg = ExecuteMsg::CreatePayment { id: PaymentId::for_lease(lease), payee: lease.provider.clone(), rate };
    exec(escrow, &msg, vec![])
}

/// Stops the lease's payment and pays the provider what it accrued.
pub fn close_payment(escrow: &Addr, lease: &LeaseId) -> StdResult<CosmosMsg> {
    exec(escrow, &ExecuteMsg::ClosePayment { id: PaymentId::for_lease(lease) }, vec![])
}
