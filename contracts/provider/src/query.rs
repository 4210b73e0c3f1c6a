//! Query handlers. Every list is ordered by address and paged with `start_after` + `limit`
//! (default and hard maximum from [`leasehold_types::pagination::page_size`]).

use cosmwasm_std::{Deps, Order, StdResult};
use cw_storage_plus::Bound;
use leasehold_types::Attribute;
use leasehold_types::attributes::validate_attributes;
use leasehold_types::pagination::page_size;
use leasehold_types::provider::{AuditRecord, AuditedAttributesResponse, ConfigResponse, Provider, ProvidersResponse};

use crate::error::ContractError;
use crate::state::{AUDITS, MARKET, PROVIDER_ATTRS, PROVIDERS, generation};

pub fn config(deps: Deps) -> Result<ConfigResponse, ContractError> {
    Ok(ConfigResponse { market: MARKET.load(deps.storage)? })
}

pub fn provider(deps: Deps, owner: String) -> Result<Provider, ContractError> {
    let owner = deps.api.addr_validate(&owner)?;
    PROVIDERS.may_load(deps.storage, &owner)?.ok_or(ContractError::NotRegistered { owner })
}

/// Registered providers after `start_after`; with `attribute`, only those declaring exactly that
/// key and value, read from the attribute index (the attribute is validated like a declared one,
/// so a wildcard key is refused rather than silently matching nothing).
pub fn providers(
    deps: Deps,
    attribute: Option<Attribute>,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<ProvidersResponse, ContractError> {
    let limit = page_size(limit);
    let start = start_after.map(|s| deps.api.addr_validate(&s)).transpose()?;
    let min = start.as_ref().map(Bound::exclusive);
    let providers = match attribute {
        None => PROVIDERS
            .range(deps.storage, min, None, Order::Ascending)
            .take(limit)
            .map(|item| item.map(|(_, provider)| provider))
            .collect::<StdResult<Vec<_>>>()?,
        Some(attribute) => {
            validate_attributes("attribute", std::slice::from_ref(&attribute), false)?;
            PROVIDER_ATTRS
                .prefix((&attribute.key, &attribute.value))
                .keys(deps.storage, min, None, Order::Ascending)
                .take(limit)
                .map(|owner| owner.and_then(|owner| PROVIDERS.load(deps.storage, &owner)))
                .collect::<StdResult<Vec<_>>>()?
        }
    };
    Ok(ProvidersResponse { providers })
}

/// Every auditor's record for `owner` (registered or not), ordered by auditor address.
pub fn audited_attributes(
    deps: Deps,
    owner: String,
    start_after: Option<String>,
    limit: Option<u32>,
) -> Result<AuditedAttributesResponse, ContractError> {
    let owner = deps.api.addr_validate(&owner)?;
    let limit = page_size(limit);
    let start = start_after.map(|s| deps.api.addr_validate(&s)).transpose()?;
    let records = AUDITS
        .prefix((&owner, generation(deps.storage, &owner)?))
        .range(deps.storage, start.as_ref().map(Bound::exclusive), None, Order::Ascending)
        .take(limit)
        .map(|item| item.map(|(auditor, attributes)| AuditRecord { owner: owner.clone(), auditor, attributes }))
        .collect::<StdResult<Vec<_>>>()?;
    Ok(AuditedAttributesResponse { records })
}

/// The record of one auditor for `owner`; an empty attribute list when it signed nothing.
pub fn auditor_attributes(deps: Deps, owner: String, auditor: String) -> Result<AuditRecord, ContractError> {
    let owner = deps.api.addr_validate(&owner)?;
    let auditor = deps.api.addr_validate(&auditor)?;
    let generation = generation(deps.storage, &owner)?;
    let attributes = AUDITS.may_load(deps.storage, (&owner, generation, &auditor))?.unwrap_or_default();
    Ok(AuditRecord { owner, auditor, attributes })
}
