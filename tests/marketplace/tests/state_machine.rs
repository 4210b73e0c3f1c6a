//! Every (state, message) pair for groups, orders, bids and leases. Legal transitions succeed;
//! illegal ones fail with an error naming the state and change nothing.

use cosmwasm_std::{Addr, coin};
use leasehold_marketplace_tests::fixtures::{collateral, cpu_group, cpu_provider_attrs};
use leasehold_marketplace_tests::{DENOM, Suite, default_params, price};
use leasehold_types::escrow::{self, AccountId};
use leasehold_types::ids::{BidId, DeploymentId, GroupId, OrderId};
use leasehold_types::market::{ExecuteMsg, Group, LeaseCloseReason, QueryMsg};

struct World {
    s: Suite,
    tenant: Addr,
    p: Addr,
    q: Addr,
    late: Addr,
}

impl World {
    /// An auto-match deployment (no bidding window, expiry 50 blocks) with one group priced
    /// 10_000/block and the minimum deposit: 100 funded blocks. `p` and `q` bid on its order.
    fn new() -> Self {
        let mut params = default_params();
        params.bidding_window = 0;
        params.order_expiry = 50;
        let mut s = Suite::with_params(params);
        let tenant = s.account("tenant", 100_000_000);
        let p = s.provider("p", cpu_provider_attrs("us"));
        let q = s.provider("q", cpu_provider_attrs("us"));
        let late = s.provider("late", cpu_provider_attrs("us"));
        s.create_deployment(&tenant, 1, vec![cpu_group("web", 10_000, 1)], coin(1_000_000, DENOM), true).unwrap();
        let w = Self { s, tenant, p, q, late };
        let mut w = w;
        let order = w.order1();
        let (p, q) = (w.p.clone(), w.q.clone());
        w.s.bid(&p, &order, price(10_000, DENOM), collateral()).unwrap();
        w.s.bid(&q, &order, price(9_000, DENOM), collateral()).unwrap();
        w
    }

    fn group(&self) -> GroupId {
        DeploymentId::new(self.tenant.as_str(), 1).group(1)
    }

    fn order1(&self) -> OrderId {
        self.group().order(1)
    }

    fn bid_p(&self) -> BidId {
        self.order1().bid(self.p.as_str())
    }

    fn bid_q(&self) -> BidId {
        self.order1().bid(self.q.as_str())
    }

    fn market(&mut self, sender: &Addr, msg: ExecuteMsg) -> Result<(), String> {
        self.s.exec_market(sender, &msg, &[]).map(|_| ()).map_err(|e| e.to_string())
    }

    fn lease_p(&mut self) {
        let (t, b) = (self.tenant.clone(), self.bid_p());
        self.s.create_lease(&t, &b).unwrap();
    }

    /// Runs the deployment's escrow dry and settles: the lease ends for insufficient funds.
    fn overdraw(&mut self) {
        self.s.advance(200);
        let id = AccountId::deployment(&self.group().deployment());
        let t = self.tenant.clone();
        self.s.exec_escrow(&t, &escrow::ExecuteMsg::Settle { id }, &[]).unwrap();
    }

    fn group_state(&self) -> Group {
        self.s.query_market(&QueryMsg::Group { id: self.group() })
    }

    /// Everything a failed message must leave untouched.
    fn snapshot(&self) -> String {
        let d = self.s.deployment(&self.group().deployment());
        let orders: leasehold_types::market::OrdersResponse = self.s.query_market(&QueryMsg::Orders {
            owner: Some(self.tenant.to_string()),
            state: None,
            start_after: None,
            limit: None,
        });
        let bids: leasehold_types::market::BidsResponse = self.s.query_market(&QueryMsg::Bids {
            order: None,
            provider: None,
            state: None,
            start_after: None,
            limit: None,
        });
        let leases: leasehold_types::market::LeasesResponse = self.s.query_market(&QueryMsg::Leases {
            owner: None,
            provider: None,
            state: None,
            start_after: None,
            limit: None,
        });
        let balances: Vec<u128> =
            [&self.tenant, &self.p, &self.q, &self.s.escrow].iter().map(|a| self.s.balance(a, DENOM)).collect();
        format!("{d:?}{orders:?}{bids:?}{leases:?}{balances:?}")
    }
}

/// Asserts a refused message: error mentions `needle`, state unchanged.
fn refused(w: &mut World, sender: Addr, msg: ExecuteMsg, needle: &str, label: &str) {
    let before = w.snapshot();
    let err = w.market(&sender, msg).expect_err(label);
    assert!(err.contains(needle), "{label}: expected error containing {needle:?}, got {err}");
    assert_eq!(before, w.snapshot(), "{label}: a refused message changed state");
}

#[test]
fn group_state_machine() {
    #[derive(Clone, Copy, Debug)]
    enum G {
        Open,
        Paused,
        InsufficientFunds,
        Closed,
    }
    for state in [G::Open, G::Paused, G::InsufficientFunds, G::Closed] {
        for (msg_name, allowed) in [
            ("pause", matches!(state, G::Open)),
            ("start", matches!(state, G::Paused | G::InsufficientFunds)),
            ("close", !matches!(state, G::Closed)),
        ] {
            let mut w = World::new();
            let t = w.tenant.clone();
            match state {
                G::Open => {}
                G::Paused => w.market(&t, ExecuteMsg::PauseGroup { dseq: 1, gseq: 1 }).unwrap(),
                G::InsufficientFunds => {
                    w.lease_p();
                    w.overdraw();
                    assert_eq!(w.group_state().state, leasehold_types::market::GroupState::InsufficientFunds);
                    // Top up so a restarted group could be leased again.
                    w.s.deposit(&t, &w.group().deployment(), coin(1_000_000, DENOM)).unwrap();
                }
                G::Closed => w.market(&t, ExecuteMsg::CloseGroup { dseq: 1, gseq: 1 }).unwrap(),
            }
            let msg = match msg_name {
                "pause" => ExecuteMsg::PauseGroup { dseq: 1, gseq: 1 },
                "start" => ExecuteMsg::StartGroup { dseq: 1, gseq: 1 },
                _ => ExecuteMsg::CloseGroup { dseq: 1, gseq: 1 },
            };
            let label = format!("{msg_name} on {state:?} group");
            if allowed {
                w.market(&t, msg).unwrap_or_else(|e| panic!("{label}: {e}"));
            } else {
                let name = leasehold_marketplace_tests::state_name(&w.group_state().state);
                refused(&mut w, t, msg, &name, &label);
            }
        }
    }
}

#[test]
fn order_state_machine() {
    #[derive(Clone, Copy, Debug)]
    enum O {
        Open,
        Active,
        Closed,
    }
    for state in [O::Open, O::Active, O::Closed] {
        for msg_name in ["bid", "lease", "match", "expire"] {
            let mut w = World::new();
            let t = w.tenant.clone();
            match state {
                O::Open => {}
                O::Active => w.lease_p(),
                O::Closed => {
                    w.market(&t, ExecuteMsg::PauseGroup { dseq: 1, gseq: 1 }).unwrap();
                }
            }
            let order = w.order1();
            let (msg, sender) = match msg_name {
                "bid" => (ExecuteMsg::CreateBid { order: order.clone(), price: price(1, DENOM) }, w.late.clone()),
                "lease" => (ExecuteMsg::CreateLease { bid: w.bid_q() }, t.clone()),
                "match" => (ExecuteMsg::MatchOrder { order: order.clone() }, w.late.clone()),
                _ => {
                    w.s.advance(50);
                    (ExecuteMsg::CloseExpiredOrder { order: order.clone() }, w.late.clone())
                }
            };
            let label = format!("{msg_name} on {state:?} order");
            let funds = if msg_name == "bid" { vec![collateral()] } else { vec![] };
            if matches!(state, O::Open) {
                w.s.exec_market(&sender, &msg, &funds).unwrap_or_else(|e| panic!("{label}: {e}"));
            } else {
                let before = w.snapshot();
                let err = w.s.exec_market(&sender, &msg, &funds).expect_err(&label).to_string();
                let ok = err.contains("not open")
                    || err.contains("is active")
                    || err.contains("is closed")
                    || err.contains("lost");
                assert!(ok, "{label}: unexpected error {err}");
                assert_eq!(before, w.snapshot(), "{label}: a refused message changed state");
            }
        }
    }
}

#[test]
fn bid_state_machine() {
    #[derive(Clone, Copy, Debug)]
    enum B {
        Open,
        Active,
        Lost,
        Closed,
    }
    for state in [B::Open, B::Active, B::Lost, B::Closed] {
        for msg_name in ["close_bid", "create_lease"] {
            let mut w = World::new();
            let t = w.tenant.clone();
            let p = w.p.clone();
            match state {
                B::Open => {}
                B::Active => w.lease_p(),
                B::Lost => {
                    let q = w.bid_q();
                    w.s.create_lease(&t, &q).unwrap();
                }
                B::Closed => w.market(&p, ExecuteMsg::CloseBid { bid: w.bid_p() }).unwrap(),
            }
            let (msg, sender) = if msg_name == "close_bid" {
                (ExecuteMsg::CloseBid { bid: w.bid_p() }, p.clone())
            } else {
                (ExecuteMsg::CreateLease { bid: w.bid_p() }, t.clone())
            };
            let label = format!("{msg_name} on {state:?} bid");
            if matches!(state, B::Open) {
                w.market(&sender, msg).unwrap_or_else(|e| panic!("{label}: {e}"));
            } else {
                let bid = w.s.bid_state(&w.bid_p());
                let name = leasehold_marketplace_tests::state_name(&bid.state);
                refused(&mut w, sender, msg, &name, &label);
            }
        }
    }
}

#[test]
fn lease_state_machine() {
    #[derive(Clone, Copy, Debug)]
    enum L {
        Active,
        InsufficientFunds,
        Closed,
    }
    for state in [L::Active, L::InsufficientFunds, L::Closed] {
        for by_tenant in [true, false] {
            let mut w = World::new();
            w.lease_p();
            let t = w.tenant.clone();
            let p = w.p.clone();
            match state {
                L::Active => {}
                L::InsufficientFunds => w.overdraw(),
                L::Closed => w.market(&t, ExecuteMsg::CloseLease { lease: w.bid_p(), reason: None }).unwrap(),
            }
            let (sender, reason) = if by_tenant { (t, None) } else { (p, Some(LeaseCloseReason::Decommission)) };
            let msg = ExecuteMsg::CloseLease { lease: w.bid_p(), reason };
            let label = format!("close_lease by {} on {state:?} lease", if by_tenant { "tenant" } else { "provider" });
            if matches!(state, L::Active) {
                w.market(&sender, msg).unwrap_or_else(|e| panic!("{label}: {e}"));
            } else {
                let name = leasehold_marketplace_tests::state_name(&w.s.lease(&w.bid_p()).state);
                refused(&mut w, sender, msg, &name, &label);
            }
        }
    }
}
