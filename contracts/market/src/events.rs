//! Builders of the market's events (`wasm-<type>` on chain). Attribute names are stable and
//! documented in `docs/events.md`.

use cosmwasm_std::Event;
use leasehold_types::ids::{BidId, DeploymentId, GroupId, OrderId};
use leasehold_types::market::LeaseCloseReason;

pub fn deployment(ty: &str, id: &DeploymentId) -> Event {
    Event::new(ty).add_attribute("owner", &id.owner).add_attribute("dseq", id.dseq.to_string())
}

pub fn group(ty: &str, id: &GroupId) -> Event {
    deployment(ty, &id.deployment()).add_attribute("gseq", id.gseq.to_string())
}

pub fn order(ty: &str, id: &OrderId) -> Event {
    group(ty, &id.group()).add_attribute("oseq", id.oseq.to_string())
}

pub fn bid(ty: &str, id: &BidId) -> Event {
    order(ty, &id.order()).add_attribute("provider", &id.provider)
}

pub fn reason_name(reason: LeaseCloseReason) -> &'static str {
    match reason {
        LeaseCloseReason::Owner => "owner",
        LeaseCloseReason::Unstable => "unstable",
        LeaseCloseReason::Decommission => "decommission",
        LeaseCloseReason::Unspecified => "unspecified",
        LeaseCloseReason::ManifestTimeout => "manifest_timeout",
        LeaseCloseReason::InsufficientFunds => "insufficient_funds",
    }
}

/// `lease-closed` with the reason's name and numeric code.
pub fn lease_closed(id: &BidId, reason: LeaseCloseReason) -> Event {
    bid("lease-closed", id)
        .add_attribute("reason", reason_name(reason))
        .add_attribute("reason_code", reason.code().to_string())
}

/// `provider-excluded` / `provider-readmitted` on a deployment.
pub fn exclusion(ty: &str, id: &DeploymentId, provider: &str, reason: &str) -> Event {
    deployment(ty, id).add_attribute("provider", provider).add_attribute("reason", reason)
}
