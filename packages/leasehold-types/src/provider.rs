//! Messages of the `provider` contract: the provider registry and auditor attestations.

use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::Addr;

use crate::attributes::Attribute;

/// Longest host URI.
pub const MAX_HOST_URI_LEN: usize = 256;
/// Longest contact field (email, website).
pub const MAX_INFO_LEN: usize = 256;

#[cw_serde]
pub struct InstantiateMsg {
    /// The market contract asked before a provider is deleted. `None` means the instantiating
    /// account is the market (the market instantiates the registry).
    pub market: Option<String>,
}

/// Contact details shown to tenants.
#[cw_serde]
#[derive(Default)]
pub struct ProviderInfo {
    pub email: String,
    pub website: String,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Registers the sender as a provider. `host_uri` must be an absolute `https://` URI
    /// with no path; attributes follow the key syntax, without wildcards, no duplicate keys.
    Register { host_uri: String, attributes: Vec<Attribute>, info: ProviderInfo },
    /// Replaces the sender's host URI, attributes and info.
    Update { host_uri: String, attributes: Vec<Attribute>, info: ProviderInfo },
    /// Deletes the sender's registration. Refused while the market reports active leases.
    Delete {},
    /// The sender, as auditor, signs attributes of `owner` (upsert by key).
    SignAttributes { owner: String, attributes: Vec<Attribute> },
    /// The sender, as auditor, withdraws its signature on the given keys of `owner`, or on all
    /// of them when `keys` is `None`.
    DeleteAttributes { owner: String, keys: Option<Vec<String>> },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// The registry's configuration.
    #[returns(ConfigResponse)]
    Config {},
    /// One provider; error if not registered.
    #[returns(Provider)]
    Provider { owner: String },
    /// Registered providers ordered by address, optionally only those declaring the attribute
    /// `key = value`.
    #[returns(ProvidersResponse)]
    Providers { attribute: Option<Attribute>, start_after: Option<String>, limit: Option<u32> },
    /// Attributes signed for `owner`, one entry per auditor, ordered by auditor address.
    #[returns(AuditedAttributesResponse)]
    AuditedAttributes { owner: String, start_after: Option<String>, limit: Option<u32> },
    /// The attributes one auditor signed for `owner` (empty list when none).
    #[returns(AuditRecord)]
    AuditorAttributes { owner: String, auditor: String },
}

#[cw_serde]
pub struct MigrateMsg {}

#[cw_serde]
pub struct ConfigResponse {
    pub market: Addr,
}

/// A registered provider.
#[cw_serde]
pub struct Provider {
    pub owner: Addr,
    pub host_uri: String,
    pub attributes: Vec<Attribute>,
    pub info: ProviderInfo,
    /// Height of registration.
    pub created_at: u64,
}

#[cw_serde]
pub struct ProvidersResponse {
    pub providers: Vec<Provider>,
}

/// Attributes one auditor signed for one provider.
#[cw_serde]
pub struct AuditRecord {
    pub owner: Addr,
    pub auditor: Addr,
    pub attributes: Vec<Attribute>,
}

#[cw_serde]
pub struct AuditedAttributesResponse {
    pub records: Vec<AuditRecord>,
}
