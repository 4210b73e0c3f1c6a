//! One module per command group; [`run`] dispatches.

mod chain;
pub mod demo;
pub mod index;
mod keys;
mod market;
mod provider;

use clap::ValueEnum;

use crate::cli::args::{Cli, Command, ConfigCmd};
use crate::cli::context::Ctx;
use crate::cli::error::CliError;

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let ctx = Ctx::new(cli.global)?;
    match cli.command {
        Command::Keys(c) => keys::run(&ctx, c),
        Command::Deployment(c) => market::deployment(&ctx, c).await,
        Command::Group(c) => market::group(&ctx, c).await,
        Command::Bids(c) => market::bids(&ctx, c).await,
        Command::Lease(c) => market::lease(&ctx, c).await,
        Command::Escrow(c) => market::escrow(&ctx, c).await,
        Command::Provider(c) => provider::provider(&ctx, c).await,
        Command::Bid(c) => provider::bid(&ctx, c).await,
        Command::Audit(c) => provider::audit(&ctx, c).await,
        Command::Wasm(c) => chain::wasm(&ctx, c).await,
        Command::Bank(c) => chain::bank(&ctx, c).await,
        Command::Query(c) => chain::query(&ctx, c).await,
        Command::Index(c) => index::run(&ctx, c).await,
        Command::Demo(a) => demo::run(&ctx, a).await,
        Command::Config(ConfigCmd::Show) => {
            let effective = ctx.effective_config()?;
            ctx.out.print(&effective, || {
                format!("# {}\n{}", ctx.config_path.display(), toml::to_string_pretty(&effective).unwrap_or_default())
            });
            Ok(())
        }
        Command::Config(ConfigCmd::Init { index_db }) => {
            let g = &ctx.global;
            let mut c = ctx.file.clone();
            c.node = g.node.clone().or(c.node);
            c.chain_id = g.chain_id.clone().or(c.chain_id);
            c.from = g.from.clone().or(c.from);
            c.keyring_dir = g.keyring_dir.clone().or(c.keyring_dir);
            c.keyring_backend = g.keyring_backend.map(|b| value_name(&b)).or(c.keyring_backend);
            c.output = g.output.map(|o| value_name(&o)).or(c.output);
            c.gas = g.gas.clone().or(c.gas);
            c.gas_adjustment = g.gas_adjustment.or(c.gas_adjustment);
            c.gas_prices = g.gas_prices.clone().or(c.gas_prices);
            c.market = g.market.clone().or(c.market);
            c.index_db = index_db.or(c.index_db);
            c.save(&ctx.config_path)?;
            ctx.out.note(format!("wrote {}", ctx.config_path.display()));
            Ok(())
        }
        Command::Completions { .. } => Ok(()),
    }
}

/// The name clap accepts for a value (`test`, `json`), as the config file spells it too.
pub(crate) fn value_name<V: ValueEnum>(v: &V) -> String {
    v.to_possible_value().map(|p| p.get_name().to_string()).unwrap_or_default()
}
