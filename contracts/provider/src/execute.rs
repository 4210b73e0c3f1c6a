//! Execute handlers. Funds are refused by the dispatcher before any of these run.

use cosmwasm_std::{Addr, DepsMut, Env, Event, MessageInfo, Response, Storage};
use leasehold_types::attributes::{MAX_ATTRIBUTES, validate_attributes};
use leasehold_types::market::{ProviderLeaseCountResponse, QueryMsg as MarketQueryMsg};
use leasehold_types::provider::{Provider, ProviderInfo, validate_host_uri};
use leasehold_types::{Attribute, ValidationError};

use crate::error::ContractError;
use crate::state::{AUDITS, GENERATIONS, MARKET, PROVIDER_ATTRS, PROVIDERS, generation};

/// Checks everything a provider declares (shared by register and update).
fn validate_declaration(host_uri: &str, attributes: &[Attribute], info: &ProviderInfo) -> Result<(), ContractError> {
    validate_host_uri(host_uri)
        .map_err(|reason| ContractError::InvalidHostUri { uri: host_uri.to_string(), reason })?;
    validate_attributes("attributes", attributes, false)?;
    info.validate()?;
    Ok(())
}

fn index_add(storage: &mut dyn Storage, owner: &Addr, attributes: &[Attribute]) -> Result<(), ContractError> {
    for a in attributes {
        PROVIDER_ATTRS.save(storage, (&a.key, &a.value, owner), &())?;
    }
    Ok(())
}

fn index_remove(storage: &mut dyn Storage, owner: &Addr, attributes: &[Attribute]) {
    for a in attributes {
        PROVIDER_ATTRS.remove(storage, (&a.key, &a.value, owner));
    }
}

fn load_registered(storage: &dyn Storage, owner: &Addr) -> Result<Provider, ContractError> {
    PROVIDERS.may_load(storage, owner)?.ok_or_else(|| ContractError::NotRegistered { owner: owner.clone() })
}

/// `provider-registered` / `provider-updated`.
fn declaration_event(ty: &str, provider: &Provider) -> Event {
    Event::new(ty)
        .add_attribute("owner", provider.owner.as_str())
        .add_attribute("host_uri", provider.host_uri.as_str())
        .add_attribute("attribute_count", provider.attributes.len().to_string())
}

fn keys_joined<'a>(keys: impl IntoIterator<Item = &'a str>) -> String {
    keys.into_iter().collect::<Vec<_>>().join(",")
}

pub fn register(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    host_uri: String,
    attributes: Vec<Attribute>,
    contact: ProviderInfo,
) -> Result<Response, ContractError> {
    let owner = info.sender;
    if PROVIDERS.has(deps.storage, &owner) {
        return Err(ContractError::AlreadyRegistered);
    }
    validate_declaration(&host_uri, &attributes, &contact)?;
    index_add(deps.storage, &owner, &attributes)?;
    let provider = Provider { owner, host_uri, attributes, info: contact, created_at: env.block.height };
    PROVIDERS.save(deps.storage, &provider.owner, &provider)?;
    let event = declaration_event("provider-registered", &provider);
    Ok(Response::new().add_attribute("action", "register").add_event(event))
}

pub fn update(
    deps: DepsMut,
    info: MessageInfo,
    host_uri: String,
    attributes: Vec<Attribute>,
    contact: ProviderInfo,
) -> Result<Response, ContractError> {
    let owner = info.sender;
    let old = load_registered(deps.storage, &owner)?;
    validate_declaration(&host_uri, &attributes, &contact)?;
    index_remove(deps.storage, &owner, &old.attributes);
    index_add(deps.storage, &owner, &attributes)?;
    let provider = Provider { owner, host_uri, attributes, info: contact, created_at: old.created_at };
    PROVIDERS.save(deps.storage, &provider.owner, &provider)?;
    let event = declaration_event("provider-updated", &provider);
    Ok(Response::new().add_attribute("action", "update").add_event(event))
}

/// Deletes the sender's registration once the market reports no active lease for it. The audit
/// records signed for this registration stop counting (the provider's generation moves on), so a
/// later re-registration starts unaudited.
pub fn delete(deps: DepsMut, info: MessageInfo) -> Result<Response, ContractError> {
    let owner = info.sender;
    let provider = load_registered(deps.storage, &owner)?;
    let market = MARKET.load(deps.storage)?;
    let leases: ProviderLeaseCountResponse =
        deps.querier.query_wasm_smart(&market, &MarketQueryMsg::ProviderLeaseCount { provider: owner.to_string() })?;
    if leases.active > 0 {
        return Err(ContractError::HasActiveLeases { count: leases.active });
    }
    index_remove(deps.storage, &owner, &provider.attributes);
    PROVIDERS.remove(deps.storage, &owner);
    let next = generation(deps.storage, &owner)?.checked_add(1).ok_or(ContractError::Overflow)?;
    GENERATIONS.save(deps.storage, &owner, &next)?;
    let event = Event::new("provider-deleted").add_attribute("owner", owner.as_str());
    Ok(Response::new().add_attribute("action", "delete").add_event(event))
}

/// The sender, as auditor, signs `attributes` for the registered provider `owner`: each key
/// is inserted or its value replaced in the sender's record for `owner`.
pub fn sign_attributes(
    deps: DepsMut,
    info: MessageInfo,
    owner: String,
    attributes: Vec<Attribute>,
) -> Result<Response, ContractError> {
    let auditor = info.sender;
    let owner = deps.api.addr_validate(&owner)?;
    if !PROVIDERS.has(deps.storage, &owner) {
        return Err(ContractError::NotRegistered { owner });
    }
    if attributes.is_empty() {
        return Err(ValidationError::Empty { field: "attributes".to_string() }.into());
    }
    validate_attributes("attributes", &attributes, false)?;

    let generation = generation(deps.storage, &owner)?;
    let mut record = AUDITS.may_load(deps.storage, (&owner, generation, &auditor))?.unwrap_or_default();
    for a in &attributes {
        match record.iter_mut().find(|r| r.key == a.key) {
            Some(existing) => existing.value.clone_from(&a.value),
            None => record.push(a.clone()),
        }
    }
    if record.len() > MAX_ATTRIBUTES {
        let err =
            ValidationError::TooMany { field: "attributes".to_string(), count: record.len(), max: MAX_ATTRIBUTES };
        return Err(err.into());
    }
    record.sort_by(|a, b| a.key.cmp(&b.key));
    AUDITS.save(deps.storage, (&owner, generation, &auditor), &record)?;

    let event = Event::new("audit-signed")
        .add_attribute("owner", owner.as_str())
        .add_attribute("auditor", auditor.as_str())
        .add_attribute("keys", keys_joined(attributes.iter().map(|a| a.key.as_str())));
    Ok(Response::new().add_attribute("action", "sign_attributes").add_event(event))
}

/// The sender, as auditor, withdraws its signature on `keys` of `owner`, or on the whole record
/// when `keys` is `None`. A record left empty is removed. `owner` need not be registered any more
/// (records of its current generation only).
pub fn delete_attributes(
    deps: DepsMut,
    info: MessageInfo,
    owner: String,
    keys: Option<Vec<String>>,
) -> Result<Response, ContractError> {
    let auditor = info.sender;
    let owner = deps.api.addr_validate(&owner)?;
    let generation = generation(deps.storage, &owner)?;
    let mut record =
        AUDITS.may_load(deps.storage, (&owner, generation, &auditor))?.ok_or(ContractError::NoAuditRecord)?;

    let removed: Vec<String> = match keys {
        None => record.drain(..).map(|a| a.key).collect(),
        Some(keys) => {
            if keys.is_empty() {
                return Err(ValidationError::Empty { field: "keys".to_string() }.into());
            }
            if keys.len() > MAX_ATTRIBUTES {
                let err =
                    ValidationError::TooMany { field: "keys".to_string(), count: keys.len(), max: MAX_ATTRIBUTES };
                return Err(err.into());
            }
            for (i, key) in keys.iter().enumerate() {
                if keys[..i].contains(key) {
                    return Err(ValidationError::Duplicate { field: "keys".to_string(), value: key.clone() }.into());
                }
                if !record.iter().any(|a| &a.key == key) {
                    return Err(ContractError::AttributeNotSigned { key: key.clone() });
                }
            }
            record.retain(|a| !keys.contains(&a.key));
            keys
        }
    };
    let record_deleted = record.is_empty();
    if record_deleted {
        AUDITS.remove(deps.storage, (&owner, generation, &auditor));
    } else {
        AUDITS.save(deps.storage, (&owner, generation, &auditor), &record)?;
    }

    let event = Event::new("audit-deleted")
        .add_attribute("owner", owner.as_str())
        .add_attribute("auditor", auditor.as_str())
        .add_attribute("keys", keys_joined(removed.iter().map(String::as_str)))
        .add_attribute("record_deleted", record_deleted.to_string());
    Ok(Response::new().add_attribute("action", "delete_attributes").add_event(event))
}
