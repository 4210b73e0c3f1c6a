//! Entry points: instantiate, execute, query and migrate dispatch.

#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{Binary, Deps, DepsMut, Env, MessageInfo, Response, to_json_binary};
use cw2::{get_contract_version, set_contract_version};
use leasehold_types::escrow::{Config, ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg};

use crate::error::ContractError;
use crate::execute::{self, validate_params};
use crate::query;
use crate::state::CONFIG;
use leasehold_types::funds::nonpayable;

pub const CONTRACT_NAME: &str = "crates.io:leasehold-escrow";
pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(deps: DepsMut, env: Env, info: MessageInfo, msg: InstantiateMsg) -> Result<Response, ContractError> {
    nonpayable(&info, "instantiate")?;
    validate_params(&deps, &env.contract.address, &msg.params)?;
    let market = match msg.market {
        Some(m) => deps.api.addr_validate(&m)?,
        None => info.sender.clone(),
    };
    let admin = msg.admin.map(|a| deps.api.addr_validate(&a)).transpose()?;
    CONFIG.save(deps.storage, &Config { market: market.clone(), admin: admin.clone(), params: msg.params })?;
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("market", market.to_string())
        .add_attribute("admin", admin.map(|a| a.to_string()).unwrap_or_default()))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(deps: DepsMut, env: Env, info: MessageInfo, msg: ExecuteMsg) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::OpenAccount { id, owner } => execute::open_account(deps, env, info, id, owner),
        ExecuteMsg::Deposit { id } => execute::deposit(deps, env, info, id),
        ExecuteMsg::CreatePayment { id, payee, rate } => execute::create_payment(deps, env, info, id, payee, rate),
        ExecuteMsg::ClosePayment { id } => execute::close_payment(deps, env, info, id),
        ExecuteMsg::CloseAccount { id } => execute::close_account(deps, env, info, id),
        ExecuteMsg::CloseAccounts { ids } => execute::close_accounts(deps, env, info, ids),
        ExecuteMsg::Withdraw { id } => execute::withdraw(deps, env, info, id),
        ExecuteMsg::Settle { id } => execute::settle(deps, env, info, id),
        ExecuteMsg::UpdateParams { params } => execute::update_params(deps, env, info, params),
        ExecuteMsg::ProposeAdmin { admin } => execute::propose_admin(deps, info, admin),
        ExecuteMsg::AcceptAdmin {} => execute::accept_admin(deps, info),
    }
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> Result<Binary, ContractError> {
    Ok(match msg {
        QueryMsg::Config {} => to_json_binary(&query::config(deps)?)?,
        QueryMsg::Account { id } => to_json_binary(&query::account(deps, env, id)?)?,
        QueryMsg::Payment { id } => to_json_binary(&query::payment(deps, env, id)?)?,
        QueryMsg::Payments { account, start_after, limit } => {
            to_json_binary(&query::payments(deps, env, account, start_after, limit)?)?
        }
        QueryMsg::PaymentsByPayee { payee, start_after, limit } => {
            to_json_binary(&query::payments_by_payee(deps, env, payee, start_after, limit)?)?
        }
        QueryMsg::Runway { id, block_time_ms } => to_json_binary(&query::runway(deps, env, id, block_time_ms)?)?,
    })
}

/// `major.minor.patch` (pre-release and build suffixes ignored) as comparable numbers.
fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() { None } else { Some(version) }
}

/// Refuses another contract's state and downgrades; records the new version.
#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(deps: DepsMut, _env: Env, _msg: MigrateMsg) -> Result<Response, ContractError> {
    let stored = get_contract_version(deps.storage)?;
    if stored.contract != CONTRACT_NAME {
        return Err(ContractError::WrongContract { expected: CONTRACT_NAME.into(), found: stored.contract });
    }
    let downgrade = || ContractError::Downgrade { from: stored.version.clone(), to: CONTRACT_VERSION.into() };
    let (Some(from), Some(to)) = (parse_version(&stored.version), parse_version(CONTRACT_VERSION)) else {
        return Err(downgrade());
    };
    if from > to {
        return Err(downgrade());
    }
    set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", stored.version)
        .add_attribute("to_version", CONTRACT_VERSION))
}

#[cfg(test)]
mod tests {
    use cosmwasm_std::testing::{message_info, mock_dependencies, mock_env};
    use cosmwasm_std::{Decimal, coins, from_json};
    use leasehold_types::escrow::{ConfigResponse, EscrowParams};
    use leasehold_types::funds::FundsError;

    use super::*;

    fn params(pool: &str) -> EscrowParams {
        EscrowParams {
            take_rates: vec![],
            default_take_rate: Decimal::percent(2),
            community_pool: pool.into(),
            deposit_minimums: vec![],
            default_deposit_minimum: cosmwasm_std::Uint256::one(),
        }
    }

    #[test]
    fn versions_parse_and_compare() {
        assert_eq!(parse_version("0.1.0"), Some((0, 1, 0)));
        assert_eq!(parse_version("1.2.3-rc.1"), Some((1, 2, 3)));
        assert_eq!(parse_version("1.2"), None);
        assert_eq!(parse_version("1.2.3.4"), None);
        assert!(parse_version("0.10.0") > parse_version("0.9.9"));
    }

    #[test]
    fn instantiate_defaults_market_to_sender_and_migrate_refuses_downgrade() {
        let mut deps = mock_dependencies();
        let creator = deps.api.addr_make("market");
        let pool = deps.api.addr_make("pool").to_string();
        let msg = InstantiateMsg { admin: None, params: params(&pool), market: None };
        instantiate(deps.as_mut(), mock_env(), message_info(&creator, &[]), msg.clone()).unwrap();
        let cfg: ConfigResponse = from_json(query(deps.as_ref(), mock_env(), QueryMsg::Config {}).unwrap()).unwrap();
        assert_eq!(cfg.market, creator);
        assert_eq!(cfg.admin, None);

        let err = instantiate(deps.as_mut(), mock_env(), message_info(&creator, &coins(1, "uact")), msg).unwrap_err();
        assert!(matches!(err, ContractError::Funds(FundsError::NonPayable { .. })));

        migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap();
        set_contract_version(deps.as_mut().storage, CONTRACT_NAME, "999.0.0").unwrap();
        let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
        assert!(matches!(err, ContractError::Downgrade { .. }));
        set_contract_version(deps.as_mut().storage, "crates.io:other", "0.0.1").unwrap();
        let err = migrate(deps.as_mut(), mock_env(), MigrateMsg {}).unwrap_err();
        assert!(matches!(err, ContractError::WrongContract { .. }));
    }

    #[test]
    fn instantiate_validates_params() {
        let mut deps = mock_dependencies();
        let creator = deps.api.addr_make("market");
        let mut p = params("not-an-address");
        let msg = |p: EscrowParams| InstantiateMsg { admin: None, params: p, market: None };
        assert!(instantiate(deps.as_mut(), mock_env(), message_info(&creator, &[]), msg(p.clone())).is_err());
        p.community_pool = deps.api.addr_make("pool").to_string();
        p.default_take_rate = Decimal::percent(101);
        let err = instantiate(deps.as_mut(), mock_env(), message_info(&creator, &[]), msg(p.clone())).unwrap_err();
        assert!(matches!(err, ContractError::Validation(_)));
        p.default_take_rate = Decimal::percent(2);
        // the escrow itself is no community pool
        let env = mock_env();
        p.community_pool = env.contract.address.to_string();
        let err = instantiate(deps.as_mut(), env.clone(), message_info(&creator, &[]), msg(p)).unwrap_err();
        let escrow = env.contract.address.to_string();
        assert!(matches!(&err, ContractError::CommunityPoolIsEscrow { address } if *address == escrow), "{err}");
    }
}
