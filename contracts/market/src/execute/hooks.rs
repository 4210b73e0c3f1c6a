//! Callbacks from the escrow contract.

use cosmwasm_std::{DepsMut, Env, MessageInfo, Response};
use leasehold_types::escrow::{AccountScope, EscrowHookMsg};
use leasehold_types::ids::BidId;

use super::bidding;
use crate::error::ContractError;
use crate::lifecycle::Effects;
use crate::state::ESCROW;
use leasehold_types::funds::nonpayable;

pub fn escrow_hook(
    mut deps: DepsMut,
    env: Env,
    info: MessageInfo,
    hook: EscrowHookMsg,
) -> Result<Response, ContractError> {
    nonpayable(&info, "escrow_hook")?;
    if info.sender != ESCROW.load(deps.storage)? {
        return Err(ContractError::Unauthorized { action: "send escrow hooks", sender: info.sender.to_string() });
    }
    let mut fx = Effects::default();
    match hook {
        EscrowHookMsg::AccountOverdrawn { account, payments, funded_until } => {
            if account.scope != AccountScope::Deployment {
                return Err(ContractError::MalformedEscrowRef { xid: account.to_string() });
            }
            let (owner, dseq) = split_deployment_xid(&account.xid)?;
            for xid in payments {
                let lease = lease_from_payment(&owner, dseq, &xid)?;
                bidding::end_for_insufficient_funds(deps.branch(), &lease, funded_until, env.block.height, &mut fx)?;
            }
        }
    }
    fx.into_response(deps.storage, "escrow_hook")
}

/// `owner/dseq` -> parts.
fn split_deployment_xid(xid: &str) -> Result<(String, u64), ContractError> {
    let malformed = || ContractError::MalformedEscrowRef { xid: xid.to_string() };
    let (owner, dseq) = xid.rsplit_once('/').ok_or_else(malformed)?;
    Ok((owner.to_string(), dseq.parse().map_err(|_| malformed())?))
}

/// `gseq/oseq/provider` of a deployment's payment -> the lease id.
fn lease_from_payment(owner: &str, dseq: u64, xid: &str) -> Result<BidId, ContractError> {
    let malformed = || ContractError::MalformedEscrowRef { xid: xid.to_string() };
    let mut parts = xid.splitn(3, '/');
    let gseq = parts.next().and_then(|p| p.parse().ok()).ok_or_else(malformed)?;
    let oseq = parts.next().and_then(|p| p.parse().ok()).ok_or_else(malformed)?;
    let provider = parts.next().filter(|p| !p.is_empty()).ok_or_else(malformed)?;
    Ok(BidId { owner: owner.to_string(), dseq, gseq, oseq, provider: provider.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use leasehold_types::escrow::PaymentId;

    #[test]
    fn payment_ids_round_trip_to_lease_ids() {
        let lease = BidId { owner: "lease1tenant".into(), dseq: 42, gseq: 3, oseq: 2, provider: "lease1prov".into() };
        let p = PaymentId::for_lease(&lease);
        let (owner, dseq) = split_deployment_xid(&p.account.xid).unwrap();
        assert_eq!(lease_from_payment(&owner, dseq, &p.xid).unwrap(), lease);
        assert!(lease_from_payment("o", 1, "x/1/p").is_err());
        assert!(lease_from_payment("o", 1, "1/1/").is_err());
        assert!(split_deployment_xid("nodseq").is_err());
    }
}
