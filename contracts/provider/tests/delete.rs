//! Deleting a registration, which asks the market for the provider's active leases, run in
//! cw-multi-test against a stand-in market. The real market flow is tested with the market.

use cosmwasm_std::{
    Addr, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Response, StdError, StdResult, to_json_binary,
};
use cw_multi_test::{App, AppResponse, ContractWrapper, Executor};
use cw_storage_plus::Map;
use leasehold_provider::ContractError;
use leasehold_provider::contract::{execute, instantiate, query};
use leasehold_provider::msg::{
    AuditRecord, ConfigResponse, ExecuteMsg, InstantiateMsg, Provider, ProviderInfo, ProvidersResponse, QueryMsg,
};
use leasehold_types::Attribute;
use leasehold_types::market::{ProviderLeaseCountResponse, QueryMsg as MarketQueryMsg};

/// TEST DOUBLE, not the market: a minimal contract that answers the one query the registry
/// sends to the market, `ProviderLeaseCount { provider }`, from a per-provider count the test sets.
/// Its only execute message is `(provider address, active lease count)`; every other market
/// query is refused.
mod stand_in_market {
    use super::*;

    const ACTIVE: Map<&Addr, u32> = Map::new("active");

    pub fn instantiate(_: DepsMut, _: Env, _: MessageInfo, _: Empty) -> StdResult<Response> {
        Ok(Response::new())
    }

    pub fn execute(deps: DepsMut, _: Env, _: MessageInfo, msg: (String, u32)) -> StdResult<Response> {
        let provider = deps.api.addr_validate(&msg.0)?;
        ACTIVE.save(deps.storage, &provider, &msg.1)?;
        Ok(Response::new())
    }

    pub fn query(deps: Deps, _: Env, msg: MarketQueryMsg) -> StdResult<Binary> {
        match msg {
            MarketQueryMsg::ProviderLeaseCount { provider } => {
                let provider = deps.api.addr_validate(&provider)?;
                let active = ACTIVE.may_load(deps.storage, &provider)?.unwrap_or(0);
                to_json_binary(&ProviderLeaseCountResponse { active })
            }
            other => Err(StdError::msg(format!("the stand-in market does not answer {other:?}"))),
        }
    }
}

struct Suite {
    app: App,
    market: Addr,
    registry: Addr,
}

impl Suite {
    /// The market instantiates the registry, as in production (`market: None`).
    fn new() -> Self {
        let mut app = App::default();
        let market_code = app.store_code(Box::new(ContractWrapper::new(
            stand_in_market::execute,
            stand_in_market::instantiate,
            stand_in_market::query,
        )));
        let registry_code = app.store_code(Box::new(ContractWrapper::new(execute, instantiate, query)));
        let deployer = app.api().addr_make("deployer");
        let market = app.instantiate_contract(market_code, deployer, &Empty {}, &[], "market", None).unwrap();
        let registry = app
            .instantiate_contract(
                registry_code,
                market.clone(),
                &InstantiateMsg { market: None },
                &[],
                "providers",
                None,
            )
            .unwrap();
        Suite { app, market, registry }
    }

    fn addr(&self, name: &str) -> Addr {
        self.app.api().addr_make(name)
    }

    fn set_active_leases(&mut self, provider: &str, count: u32) {
        let (provider, market) = (self.addr(provider), self.market.clone());
        let deployer = self.addr("deployer");
        self.app.execute_contract(deployer, market, &(provider.into_string(), count), &[]).unwrap();
    }

    fn exec(&mut self, sender: &str, msg: &ExecuteMsg) -> StdResult<AppResponse> {
        let (sender, registry) = (self.addr(sender), self.registry.clone());
        self.app.execute_contract(sender, registry, msg, &[])
    }

    fn register(&mut self, owner: &str, attributes: &[(&str, &str)]) -> StdResult<AppResponse> {
        let attributes = attributes.iter().map(|(k, v)| Attribute::new(*k, *v)).collect();
        let msg = ExecuteMsg::Register {
            host_uri: "https://provider.example.com".into(),
            attributes,
            info: ProviderInfo::default(),
        };
        self.exec(owner, &msg)
    }

    fn provider(&self, owner: &str) -> StdResult<Provider> {
        self.app.wrap().query_wasm_smart(&self.registry, &QueryMsg::Provider { owner: self.addr(owner).into_string() })
    }

    fn with_attribute(&self, key: &str, value: &str) -> Vec<Addr> {
        let msg = QueryMsg::Providers { attribute: Some(Attribute::new(key, value)), start_after: None, limit: None };
        let res: ProvidersResponse = self.app.wrap().query_wasm_smart(&self.registry, &msg).unwrap();
        res.providers.into_iter().map(|p| p.owner).collect()
    }

    fn audit(&self, owner: &str, auditor: &str) -> Vec<Attribute> {
        let msg = QueryMsg::AuditorAttributes {
            owner: self.addr(owner).into_string(),
            auditor: self.addr(auditor).into_string(),
        };
        let rec: AuditRecord = self.app.wrap().query_wasm_smart(&self.registry, &msg).unwrap();
        rec.attributes
    }
}

fn assert_contract_error(err: StdError, expected: ContractError) {
    let expected = expected.to_string();
    assert!(err.to_string().contains(&expected), "expected {expected:?}, got {err}");
}

#[test]
fn market_instantiating_the_registry_becomes_its_market() {
    let suite = Suite::new();
    let cfg: ConfigResponse = suite.app.wrap().query_wasm_smart(&suite.registry, &QueryMsg::Config {}).unwrap();
    assert_eq!(cfg.market, suite.market);
}

#[test]
fn delete_is_refused_with_active_leases_then_accepted_at_zero_and_re_registration_works() {
    let mut suite = Suite::new();
    suite.register("p", &[("region", "eu")]).unwrap();
    suite.register("q", &[("region", "eu")]).unwrap();
    let signed = vec![Attribute::new("region", "eu")];
    let sign = ExecuteMsg::SignAttributes { owner: suite.addr("p").into_string(), attributes: signed.clone() };
    suite.exec("auditor", &sign).unwrap();
    let registered_at = suite.provider("p").unwrap().created_at;

    // two active leases: refused, nothing changes
    suite.set_active_leases("p", 2);
    let err = suite.exec("p", &ExecuteMsg::Delete {}).unwrap_err();
    assert_contract_error(err, ContractError::HasActiveLeases { count: 2 });
    assert_eq!(suite.provider("p").unwrap().created_at, registered_at);
    assert_eq!(suite.with_attribute("region", "eu").len(), 2);
    assert!(suite.with_attribute("region", "eu").contains(&suite.addr("p")));

    // the count asked for is p's own: q's leases do not block p
    suite.set_active_leases("p", 0);
    suite.set_active_leases("q", 5);
    let res = suite.exec("p", &ExecuteMsg::Delete {}).unwrap();
    let ev = res.events.iter().find(|e| e.ty == "wasm-provider-deleted").expect("provider-deleted event");
    assert!(ev.attributes.iter().any(|a| a.key == "owner" && a.value == suite.addr("p").as_str()));
    assert!(res.events.iter().any(|e| e.attributes.iter().any(|a| a.key == "action" && a.value == "delete")));

    let err = suite.provider("p").unwrap_err();
    assert_contract_error(err, ContractError::NotRegistered { owner: suite.addr("p") });
    assert_eq!(suite.with_attribute("region", "eu"), vec![suite.addr("q")]);
    // the audit was for that registration: it stops counting with the deletion
    // (regression: audits used to survive a delete into a later re-registration)
    assert!(suite.audit("p", "auditor").is_empty());
    // ... and signing for a deleted provider is refused
    let err = suite.exec("auditor", &sign).unwrap_err();
    assert_contract_error(err, ContractError::NotRegistered { owner: suite.addr("p") });
    // deleting twice is refused
    let err = suite.exec("p", &ExecuteMsg::Delete {}).unwrap_err();
    assert_contract_error(err, ContractError::NotRegistered { owner: suite.addr("p") });
    // q is still blocked by its own leases
    let err = suite.exec("q", &ExecuteMsg::Delete {}).unwrap_err();
    assert_contract_error(err, ContractError::HasActiveLeases { count: 5 });

    // re-registering works and starts afresh
    suite.app.update_block(|b| b.height += 10);
    suite.register("p", &[("tier", "1")]).unwrap();
    let p = suite.provider("p").unwrap();
    assert_eq!(p.created_at, registered_at + 10);
    assert_eq!(p.attributes, vec![Attribute::new("tier", "1")]);
    assert_eq!(suite.with_attribute("tier", "1"), vec![suite.addr("p")]);
    assert_eq!(suite.with_attribute("region", "eu"), vec![suite.addr("q")]);
    // the old audit does not come back; a new signature counts for the new registration
    assert!(suite.audit("p", "auditor").is_empty());
    suite.exec("auditor", &sign).unwrap();
    assert_eq!(suite.audit("p", "auditor"), signed);
}

#[test]
fn delete_by_a_non_registered_sender_fails() {
    let mut suite = Suite::new();
    suite.register("p", &[]).unwrap();
    let err = suite.exec("stranger", &ExecuteMsg::Delete {}).unwrap_err();
    assert_contract_error(err, ContractError::NotRegistered { owner: suite.addr("stranger") });
    assert!(suite.provider("p").is_ok());
}

#[test]
fn delete_fails_safe_when_the_market_does_not_answer() {
    // a registry whose market is a plain account: the lease-count query fails, so nothing is deleted
    let mut suite = Suite::new();
    let code = suite.app.store_code(Box::new(ContractWrapper::new(execute, instantiate, query)));
    let not_a_contract = suite.addr("plain-account").into_string();
    let sender = suite.addr("deployer");
    let registry = suite
        .app
        .instantiate_contract(code, sender, &InstantiateMsg { market: Some(not_a_contract) }, &[], "broken", None)
        .unwrap();
    suite.registry = registry;
    suite.register("p", &[("region", "eu")]).unwrap();
    assert!(suite.exec("p", &ExecuteMsg::Delete {}).is_err());
    assert!(suite.provider("p").is_ok());
    assert_eq!(suite.with_attribute("region", "eu"), vec![suite.addr("p")]);
}
