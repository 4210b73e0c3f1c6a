//! Does a provider qualify for a group? Placement attributes against the provider's own
//! attributes, auditor signatures (`signed_by`) against the registry's audit records, and GPU /
//! storage capabilities against the provider's declared capabilities.

use cosmwasm_std::{Addr, Deps};
use leasehold_types::provider::{AuditRecord, Provider, QueryMsg as RegistryQuery};
use leasehold_types::resources::GroupSpec;
use leasehold_types::{Attribute, attributes::attributes_match};

use crate::error::ContractError;

/// Loads a registered provider, or `ProviderNotRegistered`.
pub fn registered_provider(deps: Deps, registry: &Addr, provider: &str) -> Result<Provider, ContractError> {
    deps.querier
        .query_wasm_smart(registry, &RegistryQuery::Provider { owner: provider.to_string() })
        .map_err(|_| ContractError::ProviderNotRegistered { provider: provider.to_string() })
}

/// Checks every requirement of `spec` (named `group` in errors) against `provider`.
pub fn check_provider_qualifies(
    deps: Deps,
    registry: &Addr,
    provider: &Provider,
    spec: &GroupSpec,
    group: &str,
) -> Result<(), ContractError> {
    let required = &spec.requirements.attributes;
    if !attributes_match(required, &provider.attributes) {
        return Err(ContractError::PlacementMismatch { group: group.to_string() });
    }
    if !spec.capabilities_satisfied_by(&provider.attributes) {
        return Err(ContractError::CapabilityMismatch { group: group.to_string() });
    }
    let signed_by = &spec.requirements.signed_by;
    if !signed_by.is_empty() {
        // One query per named auditor (at most 2 x MAX_SIGNERS).
        let mut records: Vec<(String, Option<Vec<Attribute>>)> = Vec::new();
        for auditor in signed_by.auditors() {
            let record: AuditRecord = deps.querier.query_wasm_smart(
                registry,
                &RegistryQuery::AuditorAttributes { owner: provider.owner.to_string(), auditor: auditor.to_string() },
            )?;
            let attrs = (!record.attributes.is_empty()).then_some(record.attributes);
            records.push((auditor.to_string(), attrs));
        }
        let lookup = |auditor: &str| records.iter().find(|(a, _)| a == auditor).and_then(|(_, attrs)| attrs.as_deref());
        if !signed_by.is_satisfied(required, lookup) {
            return Err(ContractError::SignaturesMissing { group: group.to_string() });
        }
    }
    Ok(())
}
