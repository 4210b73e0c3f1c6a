//! Reading the index: the market's records rebuilt as the contracts' own types (to compare
//! with the chain, and for tools), and the user queries behind `leasehold index query` —
//! leases with what they paid and their runway, provider statistics, market statistics.
//! Amounts stay exact (`Uint256`/`Decimal256` as strings); medians are over exact decimals.

use std::collections::BTreeMap;

use cosmwasm_std::{Addr, Coin, DecCoin, Decimal256, Uint256};
use leasehold_types::attributes::Attribute;
use leasehold_types::escrow::{self, PaymentId};
use leasehold_types::ids::{BidId, DeploymentId, GroupId, OrderId};
use leasehold_types::market::{Bid, Deployment, Group, Lease, Order};
use leasehold_types::provider::{AuditRecord, Provider, ProviderInfo};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::indexer::error::StoreError;
use crate::indexer::escrow::{AccountRow, PaymentRow};
use crate::indexer::schema;
use crate::indexer::store::{Row, Sql, Value};

/// A state column as the contracts' enum (`"insufficient_funds"` → `InsufficientFunds`).
fn state<T: DeserializeOwned>(r: &Row, i: usize) -> Result<T, StoreError> {
    let s = r.text(i)?;
    serde_json::from_value(serde_json::Value::String(s.clone()))
        .map_err(|e| StoreError::Column { column: i, reason: format!("state {s:?}: {e}") })
}

fn dec_coin(r: &Row, amount: usize, denom: usize) -> Result<DecCoin, StoreError> {
    Ok(DecCoin { amount: r.parse(amount)?, denom: r.text(denom)? })
}

fn bid_id(r: &Row) -> Result<BidId, StoreError> {
    Ok(DeploymentId::new(r.text(0)?, r.u64(1)?).group(r.u32(2)?).order(r.u32(3)?).bid(r.text(4)?))
}

/// Every deployment, by (owner, dseq).
pub fn deployments(sql: &mut dyn Sql) -> Result<Vec<Deployment>, StoreError> {
    sql.query(
        "SELECT owner, dseq, state, hash, denom, auto_match, group_count, created_at, closed_at, \
         (SELECT COUNT(*) FROM deployment_exclusions x WHERE x.owner = d.owner AND x.dseq = d.dseq) \
         FROM deployments d ORDER BY owner, dseq",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(Deployment {
            id: DeploymentId::new(r.text(0)?, r.u64(1)?),
            state: state(r, 2)?,
            hash: cosmwasm_std::HexBinary::from_hex(&r.text(3)?)
                .map_err(|e| StoreError::Column { column: 3, reason: e.to_string() })?,
            denom: r.text(4)?,
            auto_match: r.bool(5)?,
            groups: r.u32(6)?,
            excluded: r.u32(9)?,
            created_at: r.u64(7)?,
            closed_at: r.opt_u64(8)?,
        })
    })
    .collect()
}

/// Every group whose spec is known (created by a signed message), by id.
pub fn groups(sql: &mut dyn Sql) -> Result<Vec<Group>, StoreError> {
    let mut out = Vec::new();
    for r in sql.query(
        "SELECT owner, dseq, gseq, state, spec, last_oseq, created_at FROM deployment_groups WHERE spec IS NOT NULL ORDER BY owner, dseq, gseq",
        &[],
    )? {
        let spec = r.text(4)?;
        out.push(Group {
            id: GroupId { owner: r.text(0)?, dseq: r.u64(1)?, gseq: r.u32(2)? },
            state: state(&r, 3)?,
            spec: serde_json::from_str(&spec).map_err(|e| StoreError::Column { column: 4, reason: e.to_string() })?,
            last_oseq: r.u32(5)?,
            created_at: r.u64(6)?,
        });
    }
    Ok(out)
}

pub fn orders(sql: &mut dyn Sql) -> Result<Vec<Order>, StoreError> {
    sql.query(
        "SELECT owner, dseq, gseq, oseq, state, price, denom, open_bids, created_at, matchable_at, expires_at, closed_at \
         FROM orders ORDER BY owner, dseq, gseq, oseq",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(Order {
            id: OrderId { owner: r.text(0)?, dseq: r.u64(1)?, gseq: r.u32(2)?, oseq: r.u32(3)? },
            state: state(r, 4)?,
            price: dec_coin(r, 5, 6)?,
            open_bids: r.u32(7)?,
            created_at: r.u64(8)?,
            matchable_at: r.u64(9)?,
            expires_at: r.u64(10)?,
            closed_at: r.opt_u64(11)?,
        })
    })
    .collect()
}

pub fn bids(sql: &mut dyn Sql) -> Result<Vec<Bid>, StoreError> {
    sql.query(
        "SELECT owner, dseq, gseq, oseq, provider, state, price, denom, collateral, collateral_denom, created_at, closed_at \
         FROM bids ORDER BY owner, dseq, gseq, oseq, provider",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(Bid {
            id: bid_id(r)?,
            state: state(r, 5)?,
            price: dec_coin(r, 6, 7)?,
            collateral: Coin { amount: r.parse(8)?, denom: r.text(9)? },
            created_at: r.u64(10)?,
            closed_at: r.opt_u64(11)?,
        })
    })
    .collect()
}

pub fn leases(sql: &mut dyn Sql) -> Result<Vec<Lease>, StoreError> {
    sql.query(
        "SELECT owner, dseq, gseq, oseq, provider, state, price, denom, created_at, closed_at, close_reason \
         FROM leases ORDER BY owner, dseq, gseq, oseq, provider",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(Lease {
            id: bid_id(r)?,
            state: state(r, 5)?,
            price: dec_coin(r, 6, 7)?,
            created_at: r.u64(8)?,
            closed_at: r.opt_u64(9)?,
            reason: match r.opt_text(10)? {
                None => None,
                Some(_) => Some(state(r, 10)?),
            },
        })
    })
    .collect()
}

/// Registered providers (deleted ones excluded) whose attributes are known, by address.
pub fn providers(sql: &mut dyn Sql) -> Result<Vec<Provider>, StoreError> {
    let mut out = Vec::new();
    for r in sql.query(
        "SELECT owner, host_uri, attributes, email, website, created_at FROM providers \
         WHERE deleted_at IS NULL AND attributes IS NOT NULL ORDER BY owner",
        &[],
    )? {
        let attrs = r.text(2)?;
        out.push(Provider {
            owner: Addr::unchecked(r.text(0)?),
            host_uri: r.text(1)?,
            attributes: serde_json::from_str::<Vec<Attribute>>(&attrs)
                .map_err(|e| StoreError::Column { column: 2, reason: e.to_string() })?,
            info: ProviderInfo {
                email: r.opt_text(3)?.unwrap_or_default(),
                website: r.opt_text(4)?.unwrap_or_default(),
            },
            created_at: r.u64(5)?,
        });
    }
    Ok(out)
}

/// Audit records (one per provider and auditor), attributes sorted by key as the registry
/// keeps them.
pub fn audits(sql: &mut dyn Sql) -> Result<Vec<AuditRecord>, StoreError> {
    let mut out: Vec<AuditRecord> = Vec::new();
    for r in sql.query("SELECT owner, auditor, key, value FROM provider_audits ORDER BY owner, auditor, key", &[])? {
        let (owner, auditor) = (r.text(0)?, r.text(1)?);
        let attr = Attribute { key: r.text(2)?, value: r.opt_text(3)?.unwrap_or_default() };
        match out.last_mut() {
            Some(rec) if rec.owner.as_str() == owner && rec.auditor.as_str() == auditor => rec.attributes.push(attr),
            _ => out.push(AuditRecord {
                owner: Addr::unchecked(owner),
                auditor: Addr::unchecked(auditor),
                attributes: vec![attr],
            }),
        }
    }
    Ok(out)
}

pub fn escrow_accounts(sql: &mut dyn Sql) -> Result<Vec<AccountRow>, StoreError> {
    let q = format!("SELECT {} FROM escrow_accounts ORDER BY account", AccountRow::COLUMNS);
    sql.query(&q, &[])?.iter().map(AccountRow::from_row).collect()
}

pub fn escrow_payments(sql: &mut dyn Sql) -> Result<Vec<PaymentRow>, StoreError> {
    let q = format!("SELECT {} FROM escrow_payments ORDER BY account, payment", PaymentRow::COLUMNS);
    sql.query(&q, &[])?.iter().map(PaymentRow::from_row).collect()
}

/// An indexed account as the escrow contract's `Account` type.
pub fn escrow_account(a: &AccountRow) -> Result<escrow::Account, StoreError> {
    Ok(escrow::Account {
        id: account_id(&a.scope, &a.xid)?,
        owner: Addr::unchecked(&a.owner),
        state: serde_json::from_value(serde_json::Value::String(a.state.clone()))
            .map_err(|e| StoreError::Inconsistent(format!("account {}: state {:?}: {e}", a.account, a.state)))?,
        denom: a.denom.clone(),
        deposited: a.deposited,
        refunded: a.refunded,
        charged: a.charged,
        rate: a.rate,
        settled_at: a.settled_at,
        open_payments: a.open_payments,
    })
}

fn account_id(scope: &str, xid: &str) -> Result<escrow::AccountId, StoreError> {
    let scope = match scope {
        "deployment" => escrow::AccountScope::Deployment,
        "bid" => escrow::AccountScope::Bid,
        other => return Err(StoreError::Inconsistent(format!("escrow scope {other:?}"))),
    };
    Ok(escrow::AccountId { scope, xid: xid.to_string() })
}

/// An indexed payment as the escrow contract's `Payment` type.
pub fn escrow_payment(p: &PaymentRow) -> Result<escrow::Payment, StoreError> {
    let (scope, xid) = p
        .account
        .split_once('/')
        .ok_or_else(|| StoreError::Inconsistent(format!("escrow account id {:?}", p.account)))?;
    Ok(escrow::Payment {
        id: PaymentId { account: account_id(scope, xid)?, xid: p.payment.clone() },
        payee: Addr::unchecked(&p.payee),
        state: serde_json::from_value(serde_json::Value::String(p.state.clone()))
            .map_err(|e| StoreError::Inconsistent(format!("payment {}: state {:?}: {e}", p.payment, p.state)))?,
        rate: DecCoin { amount: p.rate, denom: p.denom.clone() },
        accrued: p.accrued,
        settled_at: p.settled_at,
        withdrawn: p.withdrawn,
        take: p.take,
        take_rate: p.take_rate,
    })
}

// ---------------------------------------------------------------------------------------------
// User queries
// ---------------------------------------------------------------------------------------------

/// The median of exact decimals (the mean of the two middle values for an even count).
pub fn median(mut v: Vec<Decimal256>) -> Option<Decimal256> {
    if v.is_empty() {
        return None;
    }
    v.sort();
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        Some(v[mid])
    } else {
        let sum = v[mid - 1].checked_add(v[mid]).ok()?;
        sum.checked_div(Decimal256::from_ratio(2u64, 1u64)).ok()
    }
}

/// Which leases `leases` lists.
#[derive(Clone, Debug, Default)]
pub struct LeaseFilter {
    pub tenant: Option<String>,
    pub provider: Option<String>,
    /// `active`, `closed` or `insufficient_funds`.
    pub state: Option<String>,
}

/// A lease with what it has paid and how long its deployment's escrow lasts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LeaseInfo {
    pub id: String,
    pub tenant: String,
    pub provider: String,
    pub dseq: u64,
    pub gseq: u32,
    pub oseq: u32,
    pub state: String,
    /// Per block.
    pub price: String,
    pub denom: String,
    pub resource_kind: String,
    pub created_at: u64,
    pub closed_at: Option<u64>,
    pub close_reason: Option<String>,
    /// Whole units paid out so far (provider's share plus the take).
    pub paid: String,
    /// Accrued by the payment as of the indexed height (paid or not).
    pub accrued: String,
    /// Blocks the deployment's escrow still funds at its current rate (active leases).
    pub runway_blocks: Option<u64>,
    /// The last height the escrow funds.
    pub funded_until: Option<u64>,
}

/// Leases matching `filter`, newest first, with payments and runway as of the indexed height.
pub fn lease_infos(sql: &mut dyn Sql, filter: &LeaseFilter) -> Result<Vec<LeaseInfo>, StoreError> {
    let tip = schema::last_height(sql)?;
    let rows = sql.query(
        "SELECT l.owner, l.dseq, l.gseq, l.oseq, l.provider, l.state, l.price, l.denom, l.created_at, l.closed_at, l.close_reason, \
         COALESCE(g.resource_kind, 'unknown') \
         FROM leases l LEFT JOIN deployment_groups g ON g.owner = l.owner AND g.dseq = l.dseq AND g.gseq = l.gseq \
         WHERE ($1 = '' OR l.owner = $1) AND ($2 = '' OR l.provider = $2) AND ($3 = '' OR l.state = $3) \
         ORDER BY l.created_at DESC, l.owner, l.dseq, l.gseq, l.oseq, l.provider",
        &[
            filter.tenant.clone().unwrap_or_default().into(),
            filter.provider.clone().unwrap_or_default().into(),
            filter.state.clone().unwrap_or_default().into(),
        ],
    )?;
    let mut accounts: BTreeMap<String, Option<AccountRow>> = BTreeMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id = bid_id(&r)?;
        let pid = PaymentId::for_lease(&id);
        let account_key = pid.account.to_string();
        if !accounts.contains_key(&account_key) {
            let a = AccountRow::load(sql, &account_key)?;
            accounts.insert(account_key.clone(), a);
        }
        let account = accounts.get(&account_key).cloned().flatten();
        let payment = PaymentRow::load(sql, &account_key, &pid.xid)?;
        let state_s = r.text(5)?;
        let (paid, accrued) = match (&payment, &account) {
            (Some(p), Some(a)) => {
                let view = a.at(tip.max(a.settled_at));
                let mut p = p.clone();
                if !view.overdrawn_now {
                    p.sync(&view.account);
                }
                (p.paid(), p.accrued)
            }
            (Some(p), None) => (p.paid(), p.accrued),
            _ => (Uint256::zero(), Decimal256::zero()),
        };
        let (runway_blocks, funded_until) = match (&account, state_s.as_str()) {
            (Some(a), "active") => {
                let fu = a.at(tip.max(a.settled_at)).funded_until;
                (fu.map(|f| f.saturating_sub(tip)), fu)
            }
            _ => (None, None),
        };
        out.push(LeaseInfo {
            id: id.to_string(),
            tenant: id.owner.clone(),
            provider: id.provider.clone(),
            dseq: id.dseq,
            gseq: id.gseq,
            oseq: id.oseq,
            state: state_s,
            price: r.text(6)?,
            denom: r.text(7)?,
            resource_kind: r.text(11)?,
            created_at: r.u64(8)?,
            closed_at: r.opt_u64(9)?,
            close_reason: r.opt_text(10)?,
            paid: paid.to_string(),
            accrued: accrued.to_string(),
            runway_blocks,
            funded_until,
        });
    }
    Ok(out)
}

/// A median price of one resource kind in one denom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KindPrice {
    /// `gpu:<vendor>/<model>` or `cpu` (`unknown` when the group spec is not indexed).
    pub resource_kind: String,
    pub denom: String,
    pub count: u64,
    /// Median price per block of the whole group.
    pub median_price: String,
    /// Median price per block of one GPU (GPU kinds).
    pub median_price_per_gpu: Option<String>,
}

fn kind_prices(rows: Vec<(String, String, Decimal256, u64)>) -> Vec<KindPrice> {
    let mut by: BTreeMap<(String, String), (Vec<Decimal256>, Vec<Decimal256>)> = BTreeMap::new();
    for (kind, denom, price, gpus) in rows {
        let e = by.entry((kind, denom)).or_default();
        e.0.push(price);
        if gpus > 0
            && let Ok(per) = price.checked_div(Decimal256::from_ratio(gpus, 1u64))
        {
            e.1.push(per);
        }
    }
    by.into_iter()
        .map(|((resource_kind, denom), (prices, per_gpu))| KindPrice {
            resource_kind,
            denom,
            count: prices.len() as u64,
            median_price: median(prices).map(|d| d.to_string()).unwrap_or_default(),
            median_price_per_gpu: median(per_gpu).map(|d| d.to_string()),
        })
        .collect()
}

fn price_rows(
    sql: &mut dyn Sql,
    q: &str,
    params: &[Value],
) -> Result<Vec<(String, String, Decimal256, u64)>, StoreError> {
    sql.query(q, params)?.iter().map(|r| Ok((r.text(0)?, r.text(1)?, r.parse(2)?, r.u64(3)?))).collect()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProviderStats {
    pub provider: String,
    pub registered: bool,
    pub leases_won: u64,
    pub leases_active: u64,
    pub bids: u64,
    pub bids_lost: u64,
    pub bids_open: u64,
    /// Paid out to the provider (after the take), per denom.
    pub revenue: Vec<Coin>,
    /// Median lease price by resource kind (GPU model).
    pub lease_prices: Vec<KindPrice>,
}

/// Statistics of one provider, or of every provider that bid or registered.
pub fn provider_stats(sql: &mut dyn Sql, provider: Option<&str>) -> Result<Vec<ProviderStats>, StoreError> {
    let who = provider.unwrap_or_default().to_string();
    let names: Vec<String> = sql
        .query(
            "SELECT owner FROM providers WHERE ($1 = '' OR owner = $1) UNION SELECT provider FROM bids WHERE ($1 = '' OR provider = $1) ORDER BY 1",
            &[who.clone().into()],
        )?
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for p in names {
        let pv = || Value::from(p.as_str());
        let registered =
            sql.query_opt("SELECT 1 FROM providers WHERE owner = $1 AND deleted_at IS NULL", &[pv()])?.is_some();
        let count = |sql: &mut dyn Sql, q: &str| -> Result<u64, StoreError> {
            sql.query_opt(q, &[pv()])?.map_or(Ok(0), |r| r.u64(0))
        };
        let leases_won = count(sql, "SELECT COUNT(*) FROM leases WHERE provider = $1")?;
        let leases_active = count(sql, "SELECT COUNT(*) FROM leases WHERE provider = $1 AND state = 'active'")?;
        let bids = count(sql, "SELECT COUNT(*) FROM bids WHERE provider = $1")?;
        let bids_lost = count(sql, "SELECT COUNT(*) FROM bids WHERE provider = $1 AND state = 'lost'")?;
        let bids_open = count(sql, "SELECT COUNT(*) FROM bids WHERE provider = $1 AND state = 'open'")?;
        let mut revenue: BTreeMap<String, Uint256> = BTreeMap::new();
        for r in sql.query("SELECT denom, amount FROM escrow_ledger WHERE address = $1 AND kind = 'payout'", &[pv()])? {
            let e = revenue.entry(r.text(0)?).or_default();
            *e = e.saturating_add(r.parse::<Uint256>(1)?);
        }
        let prices = price_rows(
            sql,
            "SELECT COALESCE(g.resource_kind, 'unknown'), l.denom, l.price, COALESCE(g.gpu_units, 0) FROM leases l \
             LEFT JOIN deployment_groups g ON g.owner = l.owner AND g.dseq = l.dseq AND g.gseq = l.gseq WHERE l.provider = $1",
            &[pv()],
        )?;
        out.push(ProviderStats {
            provider: p.clone(),
            registered,
            leases_won,
            leases_active,
            bids,
            bids_lost,
            bids_open,
            revenue: revenue.into_iter().map(|(denom, amount)| Coin { denom, amount }).collect(),
            lease_prices: kind_prices(prices),
        });
    }
    Ok(out)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MarketStats {
    /// Indexed height.
    pub height: u64,
    pub providers: u64,
    pub deployments_active: u64,
    pub open_orders: u64,
    pub leases_active: u64,
    pub bids: u64,
    /// Open orders per resource kind.
    pub open_orders_by_kind: BTreeMap<String, u64>,
    /// Median bid price (every bid placed) per resource kind and denom.
    pub bid_prices: Vec<KindPrice>,
}

pub fn market_stats(sql: &mut dyn Sql) -> Result<MarketStats, StoreError> {
    let height = schema::last_height(sql)?;
    let mut count = |q: &str| -> Result<u64, StoreError> { sql.query_opt(q, &[])?.map_or(Ok(0), |r| r.u64(0)) };
    let providers = count("SELECT COUNT(*) FROM providers WHERE deleted_at IS NULL")?;
    let deployments_active = count("SELECT COUNT(*) FROM deployments WHERE state = 'active'")?;
    let open_orders = count("SELECT COUNT(*) FROM orders WHERE state = 'open'")?;
    let leases_active = count("SELECT COUNT(*) FROM leases WHERE state = 'active'")?;
    let bids = count("SELECT COUNT(*) FROM bids")?;
    let mut open_orders_by_kind = BTreeMap::new();
    for r in sql.query(
        "SELECT COALESCE(g.resource_kind, 'unknown'), COUNT(*) FROM orders o \
         LEFT JOIN deployment_groups g ON g.owner = o.owner AND g.dseq = o.dseq AND g.gseq = o.gseq \
         WHERE o.state = 'open' GROUP BY COALESCE(g.resource_kind, 'unknown') ORDER BY 1",
        &[],
    )? {
        open_orders_by_kind.insert(r.text(0)?, r.u64(1)?);
    }
    let prices = price_rows(
        sql,
        "SELECT COALESCE(g.resource_kind, 'unknown'), b.denom, b.price, COALESCE(g.gpu_units, 0) FROM bids b \
         LEFT JOIN deployment_groups g ON g.owner = b.owner AND g.dseq = b.dseq AND g.gseq = b.gseq",
        &[],
    )?;
    Ok(MarketStats {
        height,
        providers,
        deployments_active,
        open_orders,
        leases_active,
        bids,
        open_orders_by_kind,
        bid_prices: kind_prices(prices),
    })
}

/// Where the index stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Status {
    pub last_height: u64,
    pub chain_id: Option<String>,
    pub market: Option<String>,
    pub schema_version: Option<String>,
    /// Rows per table.
    pub tables: BTreeMap<String, u64>,
}

pub fn status(sql: &mut dyn Sql) -> Result<Status, StoreError> {
    let mut tables = BTreeMap::new();
    for t in schema::RAW_TABLES.iter().chain(schema::DERIVED_TABLES.iter()) {
        let n = sql.query_opt(&format!("SELECT COUNT(*) FROM {t}"), &[])?.map_or(Ok(0), |r| r.u64(0))?;
        tables.insert(t.to_string(), n);
    }
    Ok(Status {
        last_height: schema::last_height(sql)?,
        chain_id: schema::meta(sql, "chain_id")?,
        market: schema::meta(sql, "market")?,
        schema_version: schema::meta(sql, "schema_version")?,
        tables,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal256 {
        Decimal256::from_str(s).unwrap()
    }

    #[test]
    fn medians_are_exact() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![d("3"), d("1"), d("2")]), Some(d("2")));
        assert_eq!(median(vec![d("1"), d("2")]), Some(d("1.5")));
        assert_eq!(median(vec![d("0.000000000000000001"), d("0.000000000000000002")]), Some(d("0.000000000000000001")));
    }

    #[test]
    fn kind_prices_group_by_kind_and_denom_with_per_gpu_medians() {
        let rows = vec![
            ("gpu:nvidia/h100".to_string(), "uusdc".to_string(), d("3000"), 2),
            ("gpu:nvidia/h100".into(), "uusdc".into(), d("1000"), 1),
            ("cpu".into(), "uusdc".into(), d("10"), 0),
        ];
        let k = kind_prices(rows);
        assert_eq!(k.len(), 2);
        assert_eq!((k[0].resource_kind.as_str(), k[0].median_price_per_gpu.as_deref()), ("cpu", None));
        assert_eq!(k[1].median_price, "2000");
        assert_eq!(k[1].median_price_per_gpu.as_deref(), Some("1250"));
    }
}
