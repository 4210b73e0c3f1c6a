//! Tenant commands: `deployment`, `group`, `bids`, `lease`, `escrow`.

use std::collections::BTreeMap;

use crate::client::ChainClient;
use crate::client::tx::TxResult;
use crate::contracts::Marketplace;
use crate::sdl::parse_sdl;
use cosmwasm_std::{HexBinary, Uint256};
use leasehold_types::escrow::{self, AccountId, PaymentId, RunwayResponse};
use leasehold_types::market::{
    self, BidState, BidsResponse, DeploymentResponse, DeploymentsResponse, ExcludedProvidersResponse, LeaseCloseReason,
    LeaseState, LeasesResponse, OrdersResponse,
};
use leasehold_types::{DeploymentId, OrderId};

use crate::cli::args::{BidsCmd, DeploymentCmd, EscrowCmd, GroupCmd, GroupRef, LeaseCmd, OnOff};
use crate::cli::context::Ctx;
use crate::cli::error::CliError;
use crate::cli::parse::{self, bid_string};

const PAGE: u32 = 100;

async fn setup(ctx: &Ctx) -> Result<(ChainClient, Marketplace), CliError> {
    let client = ctx.connect().await?;
    let mp = ctx.marketplace(&client).await?;
    Ok((client, mp))
}

fn read_sdl(path: &std::path::Path) -> Result<crate::sdl::Sdl, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    parse_sdl(&text).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
}

/// Executes one market message as `--from` and reports it.
async fn exec_market(
    ctx: &Ctx,
    what: &str,
    msg: market::ExecuteMsg,
    funds: Vec<cosmwasm_std::Coin>,
) -> Result<(), CliError> {
    let (client, mp) = setup(ctx).await?;
    let mut signer = ctx.signer()?;
    ctx.confirm(&format!("{what} as {}", signer.address()))?;
    let any = mp.market.msg(signer.address(), &msg, &funds)?;
    let r = ctx.send(&client, &mut signer, vec![any]).await?;
    ctx.out.tx(what, &r, &[]);
    Ok(())
}

pub async fn deployment(ctx: &Ctx, cmd: DeploymentCmd) -> Result<(), CliError> {
    match cmd {
        DeploymentCmd::Create { file, deposit, dseq, auto_match } => {
            let sdl = read_sdl(&file)?;
            let groups = sdl.group_specs().map_err(|e| CliError::usage(format!("{}: {e}", file.display())))?;
            let deposit = parse::coin(&deposit, "--deposit")?;
            let (client, mp) = setup(ctx).await?;
            let dseq = match dseq {
                Some(d) => d,
                None => client.latest_block().await?.0,
            };
            let mut signer = ctx.signer()?;
            let msg = market::ExecuteMsg::CreateDeployment {
                dseq,
                hash: HexBinary::from(sdl.manifest_hash().to_vec()),
                groups,
                auto_match,
            };
            ctx.confirm(&format!("create deployment {dseq} from {} with deposit {deposit}", file.display()))?;
            let any = mp.market.msg(signer.address(), &msg, &[deposit])?;
            let r = ctx.send(&client, &mut signer, vec![any]).await?;
            let attr = |e: &crate::client::tx::TxEvent, k: &str| e.attribute(k).unwrap_or_default().to_string();
            let orders: Vec<String> = r
                .events_of("wasm-order-created")
                .map(|e| format!("{}/{}/{}/{}", attr(e, "owner"), attr(e, "dseq"), attr(e, "gseq"), attr(e, "oseq")))
                .collect();
            ctx.out.tx(
                "deployment created",
                &r,
                &[("owner", signer.address().to_string()), ("dseq", dseq.to_string()), ("orders", orders.join(" "))],
            );
            Ok(())
        }
        DeploymentCmd::Update { file, dseq, auto_match } => {
            if file.is_none() && auto_match.is_none() {
                return Err(CliError::usage("nothing to update: give an SDL file and/or --auto-match on|off"));
            }
            let hash = match &file {
                Some(file) => {
                    let sdl = read_sdl(file)?;
                    let groups = sdl.group_specs().map_err(|e| CliError::usage(format!("{}: {e}", file.display())))?;
                    // The market updates the manifest only: refuse an SDL whose groups differ
                    // from the deployment's instead of reporting an update that ignores them.
                    let (client, mp) = setup(ctx).await?;
                    let id = DeploymentId { owner: ctx.owner_or_from(None)?, dseq };
                    let current: market::DeploymentResponse =
                        mp.market.query(&client, &market::QueryMsg::Deployment { id }).await?;
                    let changes = group_changes(&current.groups, &groups);
                    if !changes.is_empty() {
                        return Err(CliError::usage(format!(
                            "{}: deployment update changes the manifest only, and this SDL changes its groups: {}; \
                             to change resources, counts or prices create a new deployment (and close this one)",
                            file.display(),
                            changes.join("; ")
                        )));
                    }
                    Some(HexBinary::from(sdl.manifest_hash().to_vec()))
                }
                None => None,
            };
            let auto_match = auto_match.map(OnOff::is_on);
            let mut changes = Vec::new();
            if let Some(file) = &file {
                changes.push(format!("manifest from {}", file.display()));
            }
            if let Some(a) = auto_match {
                changes.push(format!("auto-match {}", if a { "on" } else { "off" }));
            }
            let msg = market::ExecuteMsg::UpdateDeployment { dseq, hash, auto_match };
            exec_market(ctx, &format!("deployment {dseq} updated ({})", changes.join(", ")), msg, vec![]).await
        }
        DeploymentCmd::Exclude { provider, dseq } => {
            let provider = ctx.address_arg(&provider, "provider")?;
            let msg = market::ExecuteMsg::ExcludeProvider { dseq, provider: provider.clone() };
            exec_market(ctx, &format!("provider {provider} excluded from deployment {dseq}"), msg, vec![]).await
        }
        DeploymentCmd::Readmit { provider, dseq } => {
            let provider = ctx.address_arg(&provider, "provider")?;
            let msg = market::ExecuteMsg::ReadmitProvider { dseq, provider: provider.clone() };
            exec_market(ctx, &format!("provider {provider} readmitted to deployment {dseq}"), msg, vec![]).await
        }
        DeploymentCmd::Excluded { dseq, owner } => {
            let (client, mp) = setup(ctx).await?;
            let owner = ctx.owner_or_from(owner)?;
            let deployment = DeploymentId { owner, dseq };
            let mut providers: Vec<String> = Vec::new();
            loop {
                let q = market::QueryMsg::ExcludedProviders {
                    deployment: deployment.clone(),
                    start_after: providers.last().cloned(),
                    limit: Some(PAGE),
                };
                let page: ExcludedProvidersResponse = mp.market.query(&client, &q).await?;
                let n = page.providers.len();
                providers.extend(page.providers);
                if n < PAGE as usize {
                    break;
                }
            }
            ctx.out.print(&providers, || {
                if providers.is_empty() {
                    format!("no provider is excluded from deployment {}/{dseq}", deployment.owner)
                } else {
                    providers.join("\n")
                }
            });
            Ok(())
        }
        DeploymentCmd::Close { dseq } => {
            exec_market(ctx, &format!("deployment {dseq} closed"), market::ExecuteMsg::CloseDeployment { dseq }, vec![])
                .await
        }
        DeploymentCmd::Deposit { dseq, amount, owner } => {
            let amount = parse::coin(&amount, "amount")?;
            let (client, mp) = setup(ctx).await?;
            let mut signer = ctx.signer()?;
            let owner = owner.unwrap_or_else(|| signer.address().to_string());
            let id = AccountId::deployment(&DeploymentId { owner: owner.clone(), dseq });
            ctx.confirm(&format!("deposit {amount} into deployment {owner}/{dseq}"))?;
            let any = mp.escrow.msg(signer.address(), &escrow::ExecuteMsg::Deposit { id }, &[amount])?;
            let r = ctx.send(&client, &mut signer, vec![any]).await?;
            ctx.out.tx("deposited", &r, &[]);
            Ok(())
        }
        DeploymentCmd::Get { dseq, owner } => {
            let (client, mp) = setup(ctx).await?;
            let owner = ctx.owner_or_from(owner)?;
            let d: DeploymentResponse =
                mp.market.query(&client, &market::QueryMsg::Deployment { id: DeploymentId { owner, dseq } }).await?;
            ctx.out.print(&d, || {
                let mut s = format!(
                    "deployment {}/{}: {:?}, denom {}, auto-match {}",
                    d.deployment.id.owner,
                    d.deployment.id.dseq,
                    d.deployment.state,
                    d.deployment.denom,
                    d.deployment.auto_match
                );
                for g in &d.groups {
                    s.push_str(&format!(
                        "\n  group {} ({}): {:?}, last order {}",
                        g.id.gseq, g.spec.name, g.state, g.last_oseq
                    ));
                }
                s
            });
            Ok(())
        }
        DeploymentCmd::List { owner } => {
            let (client, mp) = setup(ctx).await?;
            let owner = ctx.owner_or_from(owner)?;
            let d: DeploymentsResponse = mp
                .market
                .query(
                    &client,
                    &market::QueryMsg::Deployments {
                        owner: Some(owner),
                        state: None,
                        start_after: None,
                        limit: Some(PAGE),
                    },
                )
                .await?;
            ctx.out.print(&d, || {
                if d.deployments.is_empty() {
                    return "no deployments".into();
                }
                d.deployments
                    .iter()
                    .map(|x| format!("{}/{}  {:?}  {}", x.id.owner, x.id.dseq, x.state, x.denom))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(())
        }
    }
}

pub async fn group(ctx: &Ctx, cmd: GroupCmd) -> Result<(), CliError> {
    let (what, msg) = match cmd {
        GroupCmd::Pause(GroupRef { dseq, gseq }) => ("paused", market::ExecuteMsg::PauseGroup { dseq, gseq }),
        GroupCmd::Start(GroupRef { dseq, gseq }) => ("started", market::ExecuteMsg::StartGroup { dseq, gseq }),
        GroupCmd::Close(GroupRef { dseq, gseq }) => ("closed", market::ExecuteMsg::CloseGroup { dseq, gseq }),
    };
    exec_market(ctx, &format!("group {what}"), msg, vec![]).await
}

pub async fn bids(ctx: &Ctx, cmd: BidsCmd) -> Result<(), CliError> {
    let (dseq, owner, provider) = match cmd {
        BidsCmd::List { dseq, owner, provider } => {
            (dseq, ctx.opt_address(owner, "owner")?, ctx.opt_address(provider, "provider")?)
        }
        BidsCmd::Reject { bid } => {
            let bid = parse::bid_id(&bid)?;
            let what = format!("bid {} rejected", bid_string(&bid));
            return exec_market(ctx, &what, market::ExecuteMsg::RejectBid { bid }, vec![]).await;
        }
    };
    let (client, mp) = setup(ctx).await?;
    let mut bids = Vec::new();
    if let Some(provider) = provider.clone().filter(|_| dseq.is_none()) {
        let r: BidsResponse = mp
            .market
            .query(
                &client,
                &market::QueryMsg::Bids {
                    order: None,
                    provider: Some(provider),
                    state: None,
                    start_after: None,
                    limit: Some(PAGE),
                },
            )
            .await?;
        bids = r.bids;
    } else {
        let owner = ctx.owner_or_from(owner)?;
        let orders: OrdersResponse = mp
            .market
            .query(
                &client,
                &market::QueryMsg::Orders { owner: Some(owner), state: None, start_after: None, limit: Some(PAGE) },
            )
            .await?;
        for o in orders.orders.iter().filter(|o| dseq.is_none_or(|d| o.order.id.dseq == d)) {
            let order: OrderId = o.order.id.clone();
            let r: BidsResponse = mp
                .market
                .query(
                    &client,
                    &market::QueryMsg::Bids {
                        order: Some(order),
                        provider: provider.clone(),
                        state: None,
                        start_after: None,
                        limit: Some(PAGE),
                    },
                )
                .await?;
            bids.extend(r.bids);
        }
    }
    bids.sort_by(|a, b| a.price.amount.cmp(&b.price.amount).then(a.created_at.cmp(&b.created_at)));
    ctx.out.print(&bids, || {
        if bids.is_empty() {
            return "no bids yet".into();
        }
        let mut s =
            format!("{:<8} {:>16} {:<8} {}", "state", "price/block", "created", "bid (use with `lease create`)");
        for b in &bids {
            let state = match b.state {
                BidState::Open => "open",
                BidState::Active => "active",
                BidState::Lost => "lost",
                BidState::Closed => "closed",
            };
            s.push_str(&format!(
                "\n{state:<8} {:>16} {:<8} {}",
                format!("{}{}", b.price.amount, b.price.denom),
                b.created_at,
                bid_string(&b.id)
            ));
        }
        s
    });
    Ok(())
}

fn reason(s: &str) -> Result<LeaseCloseReason, CliError> {
    Ok(match s {
        "unstable" => LeaseCloseReason::Unstable,
        "decommission" => LeaseCloseReason::Decommission,
        "unspecified" => LeaseCloseReason::Unspecified,
        "manifest-timeout" => LeaseCloseReason::ManifestTimeout,
        other => {
            return Err(CliError::usage(format!(
                "--reason {other:?}: expected unstable, decommission, unspecified or manifest-timeout"
            )));
        }
    })
}

pub async fn lease(ctx: &Ctx, cmd: LeaseCmd) -> Result<(), CliError> {
    match cmd {
        LeaseCmd::Create { bid } => {
            let bid = parse::bid_id(&bid)?;
            let what = format!("lease {} created", bid_string(&bid));
            exec_market(ctx, &what, market::ExecuteMsg::CreateLease { bid }, vec![]).await
        }
        LeaseCmd::Match { order } => {
            let order = parse::order_id(&order)?;
            let (client, mp) = setup(ctx).await?;
            let mut signer = ctx.signer()?;
            ctx.confirm(&format!("match order {order} as {}", signer.address()))?;
            let any = mp.market.msg(signer.address(), &market::ExecuteMsg::MatchOrder { order: order.clone() }, &[])?;
            let r = ctx.send(&client, &mut signer, vec![any]).await?;
            // The winner, from the lease the match created.
            let provider = r.attribute("wasm-lease-created", "provider").unwrap_or_default().to_string();
            let price = r.attribute("wasm-lease-created", "price").unwrap_or_default().to_string();
            let lease = format!("{order}/{provider}");
            ctx.out.tx(&format!("order {order} matched"), &r, &[("lease", lease), ("price", price)]);
            Ok(())
        }
        LeaseCmd::Close { lease, reason: r } => {
            let lease = parse::bid_id(&lease)?;
            let reason = r.as_deref().map(reason).transpose()?;
            let what = format!("lease {} closed", bid_string(&lease));
            exec_market(ctx, &what, market::ExecuteMsg::CloseLease { lease, reason }, vec![]).await
        }
        LeaseCmd::List { owner, provider } => {
            let (owner, provider) = (ctx.opt_address(owner, "owner")?, ctx.opt_address(provider, "provider")?);
            let (client, mp) = setup(ctx).await?;
            let owner = match (&owner, &provider) {
                (Some(o), _) => Some(o.clone()),
                (None, Some(_)) => None,
                (None, None) => Some(ctx.from_address()?),
            };
            let r: LeasesResponse = mp
                .market
                .query(
                    &client,
                    &market::QueryMsg::Leases { owner, provider, state: None, start_after: None, limit: Some(PAGE) },
                )
                .await?;
            ctx.out.print(&r, || {
                if r.leases.is_empty() {
                    return "no leases".into();
                }
                r.leases
                    .iter()
                    .map(|l| {
                        let state = match l.state {
                            LeaseState::Active => "active",
                            LeaseState::InsufficientFunds => "insufficient-funds",
                            LeaseState::Closed => "closed",
                        };
                        format!(
                            "{state:<18} {:>14} {}",
                            format!("{}{}", l.price.amount, l.price.denom),
                            bid_string(&l.id)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(())
        }
        LeaseCmd::Withdraw { lease } => {
            let lease = parse::bid_id(&lease)?;
            let (client, mp) = setup(ctx).await?;
            let mut signer = ctx.signer()?;
            ctx.confirm(&format!("withdraw the earnings of lease {} as {}", bid_string(&lease), signer.address()))?;
            let id = PaymentId::for_lease(&lease);
            let any = mp.escrow.msg(signer.address(), &escrow::ExecuteMsg::Withdraw { id }, &[])?;
            let r = ctx.send(&client, &mut signer, vec![any]).await?;
            let (paid, take) = escrow_payouts(&r, &mp.escrow.address);
            ctx.out.tx("withdrawn", &r, &[("paid", paid), ("take", take)]);
            Ok(())
        }
        LeaseCmd::WithdrawAll => {
            let (client, mp) = setup(ctx).await?;
            let mut signer = ctx.signer()?;
            let provider = signer.address().to_string();
            let r: LeasesResponse = mp
                .market
                .query(
                    &client,
                    &market::QueryMsg::Leases {
                        owner: None,
                        provider: Some(provider.clone()),
                        state: Some(LeaseState::Active),
                        start_after: None,
                        limit: Some(PAGE),
                    },
                )
                .await?;
            if r.leases.is_empty() {
                ctx.out.print(&serde_json::json!({"withdrawn": 0}), || "no active leases".into());
                return Ok(());
            }
            let msgs = r
                .leases
                .iter()
                .map(|l| {
                    mp.escrow.msg(&provider, &escrow::ExecuteMsg::Withdraw { id: PaymentId::for_lease(&l.id) }, &[])
                })
                .collect::<Result<Vec<_>, _>>()?;
            ctx.confirm(&format!("withdraw the earnings of {} active leases as {provider}", r.leases.len()))?;
            let res = ctx.send(&client, &mut signer, msgs).await?;
            let (paid, take) = escrow_payouts(&res, &mp.escrow.address);
            let n = r.leases.len();
            let what = if n == 1 { "withdrew from 1 lease".to_string() } else { format!("withdrew from {n} leases") };
            ctx.out.tx(&what, &res, &[("paid", paid), ("take", take)]);
            Ok(())
        }
    }
}

/// What the escrow at `escrow` paid out in `r`, per denom: `(to the payee, take to the community
/// pool)`, e.g. `("17100uusdc", "900uusdc")`, or `"nothing"`. Read from the escrow's
/// `escrow-withdrawn` events and, when a withdrawal found the account overdrawn, its
/// `escrow-payment-closed` events — not from `transfer` events, the first of which is the fee.
fn escrow_payouts(r: &TxResult, escrow: &str) -> (String, String) {
    let mut totals: BTreeMap<String, (Uint256, Uint256)> = BTreeMap::new();
    let events = r
        .contract_events("wasm-escrow-withdrawn", escrow)
        .chain(r.contract_events("wasm-escrow-payment-closed", escrow));
    for e in events {
        let (Some(denom), Some(amount), Some(take)) =
            (e.attribute("denom"), e.attribute("amount"), e.attribute("take"))
        else {
            continue;
        };
        let (Ok(amount), Ok(take)) = (amount.parse::<Uint256>(), take.parse::<Uint256>()) else {
            continue;
        };
        let t = totals.entry(denom.to_string()).or_default();
        *t = (t.0.saturating_add(amount), t.1.saturating_add(take));
    }
    let show = |pick: fn(&(Uint256, Uint256)) -> Uint256| {
        let parts: Vec<String> =
            totals.iter().filter(|(_, t)| !pick(t).is_zero()).map(|(d, t)| format!("{}{d}", pick(t))).collect();
        if parts.is_empty() { "nothing".to_string() } else { parts.join(",") }
    };
    (show(|t| t.0), show(|t| t.1))
}

/// What an SDL's groups change against a deployment's groups on chain, one line per
/// difference (empty: the same groups).
fn group_changes(on_chain: &[market::Group], sdl: &[leasehold_types::resources::GroupSpec]) -> Vec<String> {
    let mut changes = Vec::new();
    let names = |specs: Vec<&str>| specs.join(", ");
    let chain_names: Vec<&str> = on_chain.iter().map(|g| g.spec.name.as_str()).collect();
    let sdl_names: Vec<&str> = sdl.iter().map(|g| g.name.as_str()).collect();
    if chain_names != sdl_names {
        changes.push(format!("groups [{}] -> [{}]", names(chain_names), names(sdl_names)));
        return changes;
    }
    for (old, new) in on_chain.iter().map(|g| &g.spec).zip(sdl) {
        if old.requirements != new.requirements {
            changes.push(format!("group {}: placement requirements", old.name));
        }
        if old.resources.len() != new.resources.len() {
            changes.push(format!(
                "group {}: {} resource units -> {}",
                old.name,
                old.resources.len(),
                new.resources.len()
            ));
            continue;
        }
        for (a, b) in old.resources.iter().zip(&new.resources) {
            let (Ok(serde_json::Value::Object(a_fields)), Ok(serde_json::Value::Object(b_fields))) =
                (serde_json::to_value(a), serde_json::to_value(b))
            else {
                continue;
            };
            for (field, before) in &a_fields {
                let after = b_fields.get(field).unwrap_or(&serde_json::Value::Null);
                if before != after {
                    changes.push(format!("group {} unit {}: {field} {before} -> {after}", old.name, a.id));
                }
            }
        }
    }
    changes
}

pub async fn escrow(ctx: &Ctx, cmd: EscrowCmd) -> Result<(), CliError> {
    let EscrowCmd::Show { dseq, owner } = cmd;
    let (client, mp) = setup(ctx).await?;
    let owner = ctx.owner_or_from(owner)?;
    let id = AccountId::deployment(&DeploymentId { owner: owner.clone(), dseq });
    let account: escrow::AccountResponse =
        mp.escrow.query(&client, &escrow::QueryMsg::Account { id: id.clone() }).await?;
    // Runway in time at the chain's measured block time (the last 100 blocks), not an assumed one.
    let block_time_ms =
        client.block_time(100).await?.and_then(|t| u64::try_from(t.as_millis()).ok()).filter(|ms| *ms > 0);
    let runway: RunwayResponse = mp.escrow.query(&client, &escrow::QueryMsg::Runway { id, block_time_ms }).await?;
    let value = serde_json::json!({ "account": account, "runway": runway, "block_time_ms": block_time_ms });
    ctx.out.print(&value, || {
        let a = &account.account;
        let blocks = runway.blocks.map_or("unlimited (no open payments)".to_string(), |b| format!("{b} blocks"));
        let time = match (runway.seconds, block_time_ms) {
            (Some(s), Some(ms)) => format!(
                " (~{}h{:02}m at the chain's recent {:.1} s per block)",
                s / 3600,
                (s % 3600) / 60,
                ms as f64 / 1000.0
            ),
            _ => String::new(),
        };
        format!(
            "escrow of deployment {owner}/{dseq}\n  balance    {}{}\n  deposited  {}{}\n  accrued    {}{} (settled at block {})\n  rate       {}{} per block\n  runway     {blocks}{time}",
            account.balance, a.denom, a.deposited, a.denom, a.charged, a.denom, a.settled_at, runway.rate, a.denom
        )
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::tx::TxEvent;

    fn event(kind: &str, attrs: &[(&str, &str)]) -> TxEvent {
        TxEvent { kind: kind.into(), attributes: attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
    }

    fn result(events: Vec<TxEvent>) -> TxResult {
        TxResult {
            hash: "AB".into(),
            height: 7,
            code: 0,
            codespace: String::new(),
            log: String::new(),
            gas_wanted: 1,
            gas_used: 1,
            events,
            data: vec![],
            timestamp: String::new(),
        }
    }

    /// `lease withdraw` reported the fee (the tx's first `transfer` event, in ulease) as what the
    /// provider was paid.
    #[test]
    fn withdraw_reports_the_escrow_payout_not_the_fee() {
        let escrow = "lease1escrow";
        let withdrawn = |amount: &str, take: &str, denom: &str| {
            event(
                "wasm-escrow-withdrawn",
                &[("_contract_address", escrow), ("amount", amount), ("take", take), ("denom", denom)],
            )
        };
        let r = result(vec![
            event("transfer", &[("recipient", "lease1fees"), ("amount", "3296ulease")]),
            withdrawn("17100", "900", "uusdc"),
            event("transfer", &[("recipient", "lease1provider"), ("amount", "17100uusdc")]),
        ]);
        assert_eq!(escrow_payouts(&r, escrow), ("17100uusdc".to_string(), "900uusdc".to_string()));

        // withdraw-all: summed per denom, an overdraft's payment-closed payout included, other
        // contracts' look-alike events ignored, zero amounts left out.
        let r = result(vec![
            withdrawn("10", "1", "uusdc"),
            withdrawn("5", "0", "ulease"),
            event(
                "wasm-escrow-payment-closed",
                &[("_contract_address", escrow), ("amount", "20"), ("take", "2"), ("denom", "uusdc")],
            ),
            event(
                "wasm-escrow-withdrawn",
                &[("_contract_address", "lease1other"), ("amount", "999"), ("take", "9"), ("denom", "uusdc")],
            ),
        ]);
        assert_eq!(escrow_payouts(&r, escrow), ("5ulease,30uusdc".to_string(), "3uusdc".to_string()));
        assert_eq!(
            escrow_payouts(&result(vec![withdrawn("0", "0", "uusdc")]), escrow),
            ("nothing".into(), "nothing".into())
        );
    }
}
