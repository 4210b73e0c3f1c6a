//! Provider and auditor commands: `provider`, `bid`, `audit`.

use leasehold_types::market;
use leasehold_types::provider::{self, Provider, ProviderInfo};

use crate::bidengine::{BidEngine, EngineConfig};
use crate::cli::args::{AuditCmd, BidCmd, GlobalArgs, ProviderArgs, ProviderCmd, ProviderUpdateArgs};
use crate::cli::context::Ctx;
use crate::cli::error::CliError;
use crate::cli::parse;

fn register_msg(a: ProviderArgs) -> Result<provider::ExecuteMsg, CliError> {
    let attributes = a.attributes.iter().map(|s| parse::attribute(s)).collect::<Result<Vec<_>, _>>()?;
    let info = ProviderInfo { email: a.email.unwrap_or_default(), website: a.website.unwrap_or_default() };
    Ok(provider::ExecuteMsg::Register { host_uri: a.host_uri, attributes, info })
}

/// `provider update`: the registration with only the given fields changed, and what changes
/// (the registry's `Update` replaces everything, so what is not given is carried over).
fn update_msg(current: Provider, a: ProviderUpdateArgs) -> Result<(provider::ExecuteMsg, Vec<String>), CliError> {
    let mut changes = Vec::new();
    let host_uri = match a.host_uri {
        Some(h) if h != current.host_uri => {
            changes.push(format!("host URI {} -> {h}", current.host_uri));
            h
        }
        _ => current.host_uri,
    };
    let attributes = if a.clear_attrs {
        Vec::new()
    } else if a.attributes.is_empty() {
        current.attributes.clone()
    } else {
        a.attributes.iter().map(|s| parse::attribute(s)).collect::<Result<Vec<_>, _>>()?
    };
    if attributes != current.attributes {
        let show = |list: &[leasehold_types::attributes::Attribute]| {
            list.iter().map(|x| format!("{}={}", x.key, x.value)).collect::<Vec<_>>().join(",")
        };
        changes.push(format!("attributes [{}] -> [{}]", show(&current.attributes), show(&attributes)));
    }
    let mut info = current.info;
    for (field, given, now) in [("email", a.email, &mut info.email), ("website", a.website, &mut info.website)] {
        if let Some(v) = given
            && v != *now
        {
            changes.push(format!("{field} {now:?} -> {v:?}"));
            *now = v;
        }
    }
    if changes.is_empty() {
        return Err(CliError::usage(
            "nothing to update: give --host-uri, --attr/--clear-attrs, --email or --website with a new value",
        ));
    }
    Ok((provider::ExecuteMsg::Update { host_uri, attributes, info }, changes))
}

async fn exec_registry(ctx: &Ctx, what: &str, msg: provider::ExecuteMsg) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let mp = ctx.marketplace(&client).await?;
    let mut signer = ctx.signer()?;
    ctx.confirm(&format!("{what} as {}", signer.address()))?;
    let any = mp.registry.msg(signer.address(), &msg, &[])?;
    let r = ctx.send(&client, &mut signer, vec![any]).await?;
    ctx.out.tx(what, &r, &[]);
    Ok(())
}

pub async fn provider(ctx: &Ctx, cmd: ProviderCmd) -> Result<(), CliError> {
    match cmd {
        ProviderCmd::Register(a) => exec_registry(ctx, "provider registered", register_msg(a)?).await,
        ProviderCmd::Update(a) => {
            let client = ctx.connect().await?;
            let mp = ctx.marketplace(&client).await?;
            let owner = ctx.owner_or_from(None)?;
            let current: Provider = mp.registry.query(&client, &provider::QueryMsg::Provider { owner }).await?;
            let (msg, changes) = update_msg(current, a)?;
            exec_registry(ctx, &format!("provider updated ({})", changes.join("; ")), msg).await
        }
        ProviderCmd::Delete => exec_registry(ctx, "provider deleted", provider::ExecuteMsg::Delete {}).await,
        ProviderCmd::Get { owner } => {
            let owner = ctx.owner_or_from(owner)?;
            let client = ctx.connect().await?;
            let mp = ctx.marketplace(&client).await?;
            let p: Provider = mp.registry.query(&client, &provider::QueryMsg::Provider { owner }).await?;
            ctx.out.print(&p, || serde_json::to_string_pretty(&p).unwrap_or_default());
            Ok(())
        }
        ProviderCmd::Run { engine_config, state_dir } => run_engine(ctx, &engine_config, state_dir).await,
    }
}

/// `provider run`: the bid engine until Ctrl-C or SIGTERM.
async fn run_engine(ctx: &Ctx, path: &std::path::Path, state_dir: Option<std::path::PathBuf>) -> Result<(), CliError> {
    let mut config = EngineConfig::load(path).map_err(|e| CliError::usage(e.to_string()))?;
    if let Some(dir) = state_dir {
        config.state_dir = dir;
    }
    // The config names the key; `--from` overrides it.
    let key = ctx.global.from.clone().unwrap_or_else(|| config.key.clone());
    let key_ctx = Ctx::new(GlobalArgs { from: Some(key), ..ctx.global.clone() })?;
    let signer = key_ctx.signer()?;
    let client = ctx.connect().await?;
    let mp = ctx.marketplace(&client).await?;
    eprintln!(
        "bid engine for {} on {} ({}), market {}; state in {}",
        signer.address(),
        client.chain_id(),
        ctx.node(),
        mp.market.address,
        config.state_dir.display()
    );
    let engine = BidEngine::start(client, mp, signer, config).await?;
    eprintln!("watching open orders (Ctrl-C stops; bids and leases stay on chain)");
    engine.run(shutdown_signal()).await?;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

pub async fn bid(ctx: &Ctx, cmd: BidCmd) -> Result<(), CliError> {
    let client = ctx.connect().await?;
    let mp = ctx.marketplace(&client).await?;
    let mut signer = ctx.signer()?;
    let (what, msg, funds) = match cmd {
        BidCmd::Create { order, price } => {
            let order = parse::order_id(&order)?;
            let price = parse::dec_coin(&price, "--price")?;
            // The collateral is the market's minimum bid deposit in the price's denom.
            let params: market::MarketParams = mp.market.query(&client, &market::QueryMsg::Params {}).await?;
            let deposit = params
                .denoms
                .iter()
                .find(|d| d.denom == price.denom)
                .ok_or_else(|| CliError::usage(format!("--price: the market does not accept {}", price.denom)))?;
            let collateral = cosmwasm_std::Coin { denom: price.denom.clone(), amount: deposit.bid_min_deposit };
            (
                format!("bid placed (collateral {collateral})"),
                market::ExecuteMsg::CreateBid { order, price },
                vec![collateral],
            )
        }
        BidCmd::Close { bid } => {
            let bid = parse::bid_id(&bid)?;
            ("bid closed".to_string(), market::ExecuteMsg::CloseBid { bid }, vec![])
        }
    };
    ctx.confirm(&format!("{what} as {}", signer.address()))?;
    let any = mp.market.msg(signer.address(), &msg, &funds)?;
    let r = ctx.send(&client, &mut signer, vec![any]).await?;
    ctx.out.tx(&what, &r, &[]);
    Ok(())
}

pub async fn audit(ctx: &Ctx, cmd: AuditCmd) -> Result<(), CliError> {
    let (what, msg) = match cmd {
        AuditCmd::Sign { provider, attributes } => {
            let attributes = attributes.iter().map(|s| parse::attribute(s)).collect::<Result<Vec<_>, _>>()?;
            ("attributes signed", provider::ExecuteMsg::SignAttributes { owner: provider, attributes })
        }
        AuditCmd::Delete { provider, keys } => (
            "attestations deleted",
            provider::ExecuteMsg::DeleteAttributes {
                owner: provider,
                keys: if keys.is_empty() { None } else { Some(keys) },
            },
        ),
    };
    exec_registry(ctx, what, msg).await
}
