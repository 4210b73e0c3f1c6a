//! Hierarchical identifiers of the market, as Akash defines them:
//! deployment `owner/dseq`, group `+gseq`, order `+oseq`, bid and lease `+provider`.
//!
//! Each id has a compact, order-preserving storage key (`storage_key`) so that all groups of a
//! deployment, all orders of a group and all bids of an order are contiguous ranges.

use std::fmt;

use cosmwasm_schema::cw_serde;

/// A deployment: the tenant's address and a sequence number the tenant chooses (by convention
/// the current block height), unique per owner and never zero.
#[cw_serde]
#[derive(Eq, PartialOrd, Ord, Hash)]
pub struct DeploymentId {
    pub owner: String,
    pub dseq: u64,
}

/// A group of a deployment; `gseq` counts from 1 in the order the groups were given.
#[cw_serde]
#[derive(Eq, PartialOrd, Ord, Hash)]
pub struct GroupId {
    pub owner: String,
    pub dseq: u64,
    pub gseq: u32,
}

/// An order of a group; `oseq` counts from 1 and grows each time the group is relisted.
#[cw_serde]
#[derive(Eq, PartialOrd, Ord, Hash)]
pub struct OrderId {
    pub owner: String,
    pub dseq: u64,
    pub gseq: u32,
    pub oseq: u32,
}

/// A provider's bid on an order. At most one bid per provider per order.
#[cw_serde]
#[derive(Eq, PartialOrd, Ord, Hash)]
pub struct BidId {
    pub owner: String,
    pub dseq: u64,
    pub gseq: u32,
    pub oseq: u32,
    pub provider: String,
}

/// A lease is the winning bid; it carries the same identifier.
pub type LeaseId = BidId;

fn owner_prefix(owner: &str) -> Vec<u8> {
    // Addresses are at most 255 bytes (checked by `Api::addr_validate` upstream; bech32 caps at 90).
    let len = u8::try_from(owner.len()).unwrap_or(u8::MAX);
    let mut k = Vec::with_capacity(1 + owner.len() + 24);
    k.push(len);
    k.extend_from_slice(&owner.as_bytes()[..len as usize]);
    k
}

impl DeploymentId {
    pub fn new(owner: impl Into<String>, dseq: u64) -> Self {
        Self { owner: owner.into(), dseq }
    }

    pub fn group(&self, gseq: u32) -> GroupId {
        GroupId { owner: self.owner.clone(), dseq: self.dseq, gseq }
    }

    pub fn storage_key(&self) -> Vec<u8> {
        let mut k = owner_prefix(&self.owner);
        k.extend_from_slice(&self.dseq.to_be_bytes());
        k
    }
}

impl GroupId {
    pub fn deployment(&self) -> DeploymentId {
        DeploymentId { owner: self.owner.clone(), dseq: self.dseq }
    }

    pub fn order(&self, oseq: u32) -> OrderId {
        OrderId { owner: self.owner.clone(), dseq: self.dseq, gseq: self.gseq, oseq }
    }

    pub fn storage_key(&self) -> Vec<u8> {
        let mut k = self.deployment().storage_key();
        k.extend_from_slice(&self.gseq.to_be_bytes());
        k
    }
}

impl OrderId {
    pub fn deployment(&self) -> DeploymentId {
        DeploymentId { owner: self.owner.clone(), dseq: self.dseq }
    }

    pub fn group(&self) -> GroupId {
        GroupId { owner: self.owner.clone(), dseq: self.dseq, gseq: self.gseq }
    }

    pub fn bid(&self, provider: impl Into<String>) -> BidId {
        BidId {
            owner: self.owner.clone(),
            dseq: self.dseq,
            gseq: self.gseq,
            oseq: self.oseq,
            provider: provider.into(),
        }
    }

    pub fn storage_key(&self) -> Vec<u8> {
        let mut k = self.group().storage_key();
        k.extend_from_slice(&self.oseq.to_be_bytes());
        k
    }
}

impl BidId {
    pub fn deployment(&self) -> DeploymentId {
        DeploymentId { owner: self.owner.clone(), dseq: self.dseq }
    }

    pub fn group(&self) -> GroupId {
        GroupId { owner: self.owner.clone(), dseq: self.dseq, gseq: self.gseq }
    }

    pub fn order(&self) -> OrderId {
        OrderId { owner: self.owner.clone(), dseq: self.dseq, gseq: self.gseq, oseq: self.oseq }
    }

    pub fn storage_key(&self) -> Vec<u8> {
        let mut k = self.order().storage_key();
        k.extend_from_slice(self.provider.as_bytes());
        k
    }
}

impl fmt::Display for DeploymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.dseq)
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.owner, self.dseq, self.gseq)
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}/{}", self.owner, self.dseq, self.gseq, self.oseq)
    }
}

impl fmt::Display for BidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}/{}/{}", self.owner, self.dseq, self.gseq, self.oseq, self.provider)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_nest_and_sort_numerically() {
        let d = DeploymentId::new("lease1owner", 9);
        let o = d.group(2).order(1);
        let b = o.bid("lease1prov");
        assert!(o.storage_key().starts_with(&d.storage_key()));
        assert!(b.storage_key().starts_with(&o.storage_key()));
        assert!(DeploymentId::new("lease1owner", 9).storage_key() < DeploymentId::new("lease1owner", 10).storage_key());
        assert!(d.group(9).storage_key() < d.group(10).storage_key());
        assert_eq!(b.to_string(), "lease1owner/9/2/1/lease1prov");
    }
}
