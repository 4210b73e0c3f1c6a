//! A whole lease through signed transactions on the node: registration, deployment with a
//! deposit, bid, lease, blocks passing, withdrawal, close. Every balance is checked to the
//! micro-unit (fees, the 2 % `ulease` take to the community pool) and cross-checked with the
//! escrow's own queries.

use crate::common::market::{cpu_group, manifest_hash, price, register};
use crate::common::*;
use cosmwasm_std::{Decimal256, Uint256};
use leasehold_types::escrow::{
    AccountId, AccountResponse, AccountState, Payment, PaymentId, PaymentState, QueryMsg as EscrowQuery,
};
use leasehold_types::ids::DeploymentId;
use leasehold_types::market::{
    Bid, BidState, DeploymentResponse, DeploymentState, ExecuteMsg as MarketMsg, Lease, LeaseCloseReason, LeaseState,
    QueryMsg as MarketQuery,
};

const FEE: u128 = 7_500;
const DEPOSIT: u128 = 10_000_000;
const COLLATERAL: u128 = 500_000;
/// The winning bid's price per block (odd, so the 2 % take is floored).
const RATE: u128 = 123;

/// The community pool's share: `floor(amount × 2 %)`.
fn take(amount: u128) -> u128 {
    amount * 2 / 100
}

#[test]
fn a_lease_pays_the_provider_and_the_pool_to_the_micro_unit() {
    let mut node = TestNode::new();
    let tenant = dev("tenant");
    let gpu = dev("provider-gpu");
    let (market, escrow, registry) = (node.market.clone(), node.escrow.clone(), node.registry.clone());
    let pool = community_pool();
    assert_eq!(pool, leasehold_node::devnet::community_pool());
    assert_eq!(node.balance(&pool, DENOM), 0);
    let (mut tenant_fees, mut provider_fees) = (0u128, 0u128);

    // 1. The provider registers.
    node.exec(&gpu, vec![execute(&gpu.account_id, &registry, &register("gpu"), vec![])], FEE, GAS);
    provider_fees += FEE;

    // 2. The tenant creates a deployment (2 replicas at most 100/block each) with a deposit.
    let dseq = 1;
    let create = MarketMsg::CreateDeployment {
        dseq,
        hash: manifest_hash(dseq),
        groups: vec![cpu_group("web", 100, 2, DENOM)],
        auto_match: false,
    };
    node.exec(&tenant, vec![execute(&tenant.account_id, &market, &create, vec![coin(DEPOSIT, DENOM)])], FEE, GAS);
    tenant_fees += FEE;
    let deployment = DeploymentId::new(tenant.address.as_str(), dseq);
    let order = deployment.group(1).order(1);
    assert_eq!(node.balance(&tenant.address, DENOM), START - DEPOSIT - tenant_fees);
    assert_eq!(node.balance(&escrow, DENOM), DEPOSIT);

    // 3. The provider bids RATE per block, with the minimum collateral.
    let bid = MarketMsg::CreateBid { order: order.clone(), price: price(RATE, DENOM) };
    node.exec(&gpu, vec![execute(&gpu.account_id, &market, &bid, vec![coin(COLLATERAL, DENOM)])], FEE, GAS);
    provider_fees += FEE;
    let bid_id = order.bid(gpu.address.as_str());
    let b: Bid = node.query_smart(&market, &MarketQuery::Bid { id: bid_id.clone() });
    assert_eq!(b.state, BidState::Open);
    assert_eq!(node.balance(&gpu.address, DENOM), START - COLLATERAL - provider_fees);
    assert_eq!(node.balance(&escrow, DENOM), DEPOSIT + COLLATERAL);

    // 4. The tenant accepts the bid: the lease starts paying at its block.
    let out = node.exec(
        &tenant,
        vec![execute(&tenant.account_id, &market, &MarketMsg::CreateLease { bid: bid_id.clone() }, vec![])],
        FEE,
        GAS,
    );
    tenant_fees += FEE;
    assert!(find_event(&out, "wasm-lease-created", &[("_contract_address", &market)]).is_some());
    let lease: Lease = node.query_smart(&market, &MarketQuery::Lease { id: bid_id.clone() });
    assert_eq!(lease.state, LeaseState::Active);
    let started = lease.created_at;
    assert_eq!(started, node.height());

    // 5. Blocks pass; the provider withdraws what accrued.
    node.blocks(20);
    let payment_id = PaymentId::for_lease(&bid_id);
    let out = node.exec(
        &gpu,
        vec![execute(
            &gpu.account_id,
            &escrow,
            &leasehold_types::escrow::ExecuteMsg::Withdraw { id: payment_id.clone() },
            vec![],
        )],
        FEE,
        GAS,
    );
    provider_fees += FEE;
    let withdrawn_at = node.height();
    let accrued1 = RATE * u128::from(withdrawn_at - started);
    assert_eq!(accrued1, RATE * 21);
    let (paid1, take1) = (accrued1 - take(accrued1), take(accrued1));
    let ev = find_event(&out, "wasm-escrow-withdrawn", &[("_contract_address", &escrow)]).expect("escrow-withdrawn");
    assert_eq!(attr(ev, "amount"), Some(paid1.to_string().as_str()));
    assert_eq!(attr(ev, "take"), Some(take1.to_string().as_str()));
    assert_eq!(node.balance(&gpu.address, DENOM), START - COLLATERAL - provider_fees + paid1);
    assert_eq!(node.balance(&pool, DENOM), take1);
    let payment: Payment = node.query_smart(&escrow, &EscrowQuery::Payment { id: payment_id.clone() });
    assert_eq!(payment.state, PaymentState::Open);
    assert_eq!(payment.settled_at, withdrawn_at);
    assert_eq!(payment.accrued, Decimal256::from_atomics(accrued1, 0).expect("dec"));
    assert_eq!((payment.withdrawn, payment.take), (Uint256::from(paid1), Uint256::from(take1)));
    let account: AccountResponse =
        node.query_smart(&escrow, &EscrowQuery::Account { id: AccountId::deployment(&deployment) });
    assert_eq!(account.account.deposited, Uint256::from(DEPOSIT));
    assert_eq!(account.balance, Decimal256::from_atomics(DEPOSIT - accrued1, 0).expect("dec"));
    assert_eq!(node.balance(&escrow, DENOM), DEPOSIT + COLLATERAL - accrued1);

    // 6. More blocks; the tenant closes the deployment: the provider is paid the rest, the
    //    collateral comes back, the tenant gets the unspent deposit.
    node.blocks(9);
    let out = node.exec(
        &tenant,
        vec![execute(&tenant.account_id, &market, &MarketMsg::CloseDeployment { dseq }, vec![])],
        FEE,
        GAS,
    );
    tenant_fees += FEE;
    let closed_at = node.height();
    assert!(find_event(&out, "wasm-deployment-closed", &[]).is_some());
    let ev = find_event(&out, "wasm-lease-closed", &[]).expect("lease-closed");
    assert_eq!(attr(ev, "reason"), Some("owner"));
    let total = RATE * u128::from(closed_at - started);
    assert_eq!(total, RATE * 31);
    let accrued2 = total - accrued1;
    // The take is computed on cumulative earnings: floor(total x rate) - what was taken before.
    let take2 = take(total) - take1;
    let paid2 = accrued2 - take2;

    assert_eq!(node.balance(&tenant.address, DENOM), START - tenant_fees - total);
    assert_eq!(node.balance(&gpu.address, DENOM), START - provider_fees + paid1 + paid2);
    assert_eq!(node.balance(&pool, DENOM), take1 + take2);
    assert_eq!(node.balance(&escrow, DENOM), 0);
    assert_eq!(node.balance(&market, DENOM), 0);
    assert_eq!(node.balance(&fee_collector(), DENOM), tenant_fees + provider_fees);
    // Nothing was created or lost: the dev accounts' ulease plus fees, pool and contracts.
    assert_eq!(
        (START - tenant_fees - total)
            + (START - provider_fees + paid1 + paid2)
            + (take1 + take2)
            + tenant_fees
            + provider_fees,
        2 * START
    );
    // The other denom was never touched.
    assert_eq!(node.balance(&tenant.address, USDC), START);
    assert_eq!(node.balance(&gpu.address, USDC), START);

    // The escrow's books agree with the bank.
    let account: AccountResponse =
        node.query_smart(&escrow, &EscrowQuery::Account { id: AccountId::deployment(&deployment) });
    assert_eq!(account.account.state, AccountState::Closed);
    assert_eq!(account.account.deposited, Uint256::from(DEPOSIT));
    assert_eq!(account.account.refunded, Uint256::from(DEPOSIT - total));
    assert_eq!(account.account.charged, Decimal256::from_atomics(total, 0).expect("dec"));
    let payment: Payment = node.query_smart(&escrow, &EscrowQuery::Payment { id: payment_id });
    assert_eq!(payment.state, PaymentState::Closed);
    assert_eq!(payment.settled_at, closed_at);
    assert_eq!(payment.withdrawn, Uint256::from(paid1 + paid2));
    assert_eq!(payment.take, Uint256::from(take1 + take2));
    let lease: Lease = node.query_smart(&market, &MarketQuery::Lease { id: bid_id.clone() });
    assert_eq!(
        (lease.state, lease.closed_at, lease.reason),
        (LeaseState::Closed, Some(closed_at), Some(LeaseCloseReason::Owner))
    );
    let dep: DeploymentResponse = node.query_smart(&market, &MarketQuery::Deployment { id: deployment });
    assert_eq!(dep.deployment.state, DeploymentState::Closed);
    let b: Bid = node.query_smart(&market, &MarketQuery::Bid { id: bid_id });
    assert_eq!(b.state, BidState::Closed);
}
