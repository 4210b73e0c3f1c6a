//! From [`Sdl`] to the market's [`GroupSpec`]s, as Akash's group builder does
//! (`go/sdl/groupBuilder_v2_1.go`, `groupBuilder_v2.go`), then checked by `leasehold-types`'
//! [`validate_groups`] — the very validation the market contract runs — with any refusal reported
//! at the SDL field it comes from.

use std::collections::BTreeMap;

use leasehold_types::resources::{
    Endpoint, EndpointKind, GpuRequest, GroupSpec, PlacementRequirements, ResourceUnit, StorageVolume, validate_groups,
};
use leasehold_types::{Attribute, SignedBy, ValidationError};

use super::error::{SdlError, SdlErrorKind};
use super::model::{ComputeProfile, Placement, Price, Sdl, SdlVersion, Service, Site};

/// The placement attribute a service's `params.tee` adds (Akash: `tee/type=<cpu|cpu-gpu>`).
pub(crate) const TEE_ATTRIBUTE: &str = "tee/type";

/// One group: a placement with the units and services deployed to it.
pub(crate) struct PlannedGroup<'a> {
    pub name: &'a str,
    pub placement: &'a Placement,
    pub tee: Option<(&'a str, &'a Site)>,
    pub units: Vec<PlannedUnit<'a>>,
    /// Sorted by service name.
    pub services: Vec<PlannedService<'a>>,
}

pub(crate) struct PlannedUnit<'a> {
    pub id: u32,
    pub profile_name: &'a str,
    pub profile: &'a ComputeProfile,
    pub count: u32,
    pub endpoints: Vec<Endpoint>,
    pub price: &'a Price,
    pub count_site: &'a Site,
    pub expose_site: &'a Site,
}

pub(crate) struct PlannedService<'a> {
    pub name: &'a str,
    pub service: &'a Service,
    pub unit_id: u32,
    pub count: u32,
}

impl Sdl {
    /// The endpoints one service's exposes need (Akash's `ServiceExpose.GetEndpoints`): none for
    /// a non-global expose; a leased IP (with its sequence number) when `to.ip` is set; plus the
    /// shared HTTP ingress for global TCP on external port 80, a random port otherwise.
    fn service_endpoints(&self, service: &Service) -> Vec<Endpoint> {
        let mut out = Vec::new();
        for e in service.expose.iter().filter(|e| e.global) {
            if !e.ip.is_empty() {
                let sequence_number = self.ip_endpoints.get(&e.ip).copied().unwrap_or(0);
                out.push(Endpoint { kind: EndpointKind::LeasedIp, sequence_number });
            }
            let kind = if e.is_ingress() { EndpointKind::SharedHttp } else { EndpointKind::RandomPort };
            out.push(Endpoint { kind, sequence_number: 0 });
        }
        out
    }

    /// Groups, units and services in Akash's order: groups by placement name; units numbered
    /// from 1 in the order services (by name) first use them.
    pub(crate) fn plan(&self) -> Vec<PlannedGroup<'_>> {
        let mut groups: BTreeMap<&str, PlannedGroup<'_>> = BTreeMap::new();
        for d in &self.deployments {
            let (Some(service), Some(profile), Some(placement)) =
                (self.services.get(&d.service), self.compute.get(&d.profile), self.placements.get(&d.placement))
            else {
                continue; // references are resolved by the parser
            };
            let Some(price) = placement.pricing.get(&d.profile) else {
                continue;
            };
            let group = groups.entry(d.placement.as_str()).or_insert_with(|| PlannedGroup {
                name: &d.placement,
                placement,
                tee: None,
                units: Vec::new(),
                services: Vec::new(),
            });
            if group.tee.is_none()
                && let Some(tee) = service.params.as_ref().and_then(|p| p.tee.as_deref())
            {
                group.tee = Some((tee, &service.tee_site));
            }
            let endpoints = self.service_endpoints(service);
            // 2.1 shares one unit among the services of a placement using the same profile;
            // 2.0 gives every service deployment its own unit.
            let shared = match self.version {
                SdlVersion::V2_1 => group.units.iter_mut().find(|u| u.profile_name == d.profile),
                SdlVersion::V2_0 => None,
            };
            let unit_id = match shared {
                Some(unit) => {
                    unit.count = unit.count.saturating_add(d.count);
                    unit.endpoints.extend(endpoints);
                    unit.endpoints.sort_by_key(|e| e.sequence_number);
                    unit.id
                }
                None => {
                    let id = u32::try_from(group.units.len() + 1).unwrap_or(u32::MAX);
                    let mut endpoints = endpoints;
                    endpoints.sort_by_key(|e| e.sequence_number);
                    group.units.push(PlannedUnit {
                        id,
                        profile_name: &d.profile,
                        profile,
                        count: d.count,
                        endpoints,
                        price,
                        count_site: &d.count_site,
                        expose_site: &service.expose_site,
                    });
                    id
                }
            };
            group.services.push(PlannedService { name: &d.service, service, unit_id, count: d.count });
        }
        groups.into_values().collect()
    }

    /// The deployment's group specs, one per placement, exactly as the market contract receives
    /// them in `CreateDeployment`, after the market's own validation.
    ///
    /// A refusal is reported at the SDL field behind the offending group-spec field (for example
    /// a CPU below the market's minimum at `profiles.compute.<name>.resources.cpu.units`).
    pub fn group_specs(&self) -> Result<Vec<GroupSpec>, SdlError> {
        let plan = self.plan();
        let specs: Vec<GroupSpec> = plan.iter().map(group_spec).collect();
        validate_groups(&specs).map_err(|error| self.locate(&plan, error))?;
        Ok(specs)
    }

    /// The SDL field a market validation error is about.
    fn locate(&self, plan: &[PlannedGroup<'_>], error: ValidationError) -> SdlError {
        let site = site_of(plan, field_of(&error), matches!(error, ValidationError::MixedDenoms { .. }))
            .unwrap_or(&self.deployment_site);
        SdlError::new(site.path.clone(), site.loc, SdlErrorKind::Market { error })
    }
}

/// The placement requirements of a group, attributes sorted by key, each with its site.
pub(crate) fn requirements<'a>(group: &PlannedGroup<'a>) -> (Vec<(Attribute, &'a Site)>, SignedBy) {
    let mut attributes: Vec<(Attribute, &'a Site)> =
        group.placement.attributes.iter().map(|(k, v, site)| (Attribute::new(k, v), site)).collect();
    if let Some((tee, site)) = group.tee {
        attributes.push((Attribute::new(TEE_ATTRIBUTE, tee), site));
    }
    attributes.sort_by(|a, b| a.0.key.cmp(&b.0.key));
    let signed_by = SignedBy { all_of: group.placement.all_of.clone(), any_of: group.placement.any_of.clone() };
    (attributes, signed_by)
}

pub(crate) fn group_spec(group: &PlannedGroup<'_>) -> GroupSpec {
    let (attributes, signed_by) = requirements(group);
    GroupSpec {
        name: group.name.to_string(),
        requirements: PlacementRequirements { signed_by, attributes: attributes.into_iter().map(|(a, _)| a).collect() },
        resources: group
            .units
            .iter()
            .map(|u| ResourceUnit {
                id: u.id,
                cpu_millis: u.profile.cpu_millis,
                memory_bytes: u.profile.memory_bytes,
                storage: u
                    .profile
                    .storage
                    .iter()
                    .map(|v| StorageVolume {
                        name: v.name.clone(),
                        size_bytes: v.size_bytes,
                        class: v.class.clone(),
                        persistent: v.persistent,
                    })
                    .collect(),
                gpu: GpuRequest { units: u.profile.gpu_units, models: u.profile.gpu_models.clone() },
                endpoints: u.endpoints.clone(),
                count: u.count,
                price: u.price.coin.clone(),
            })
            .collect(),
    }
}

fn field_of(error: &ValidationError) -> &str {
    match error {
        ValidationError::Empty { field }
        | ValidationError::TooLong { field, .. }
        | ValidationError::TooMany { field, .. }
        | ValidationError::OutOfRange { field, .. }
        | ValidationError::Duplicate { field, .. }
        | ValidationError::InvalidAttributeKey { field, .. }
        | ValidationError::InvalidValue { field, .. }
        | ValidationError::MixedDenoms { field, .. }
        | ValidationError::Overflow { field } => field,
    }
}

/// `name[3].rest` -> `(3, "rest")`; `name[3]` -> `(3, "")`.
fn indexed<'s>(field: &'s str, name: &str) -> Option<(usize, &'s str)> {
    let rest = field.strip_prefix(name)?.strip_prefix('[')?;
    let (index, rest) = rest.split_once(']')?;
    Some((index.parse().ok()?, rest.strip_prefix('.').unwrap_or(rest)))
}

/// Maps a group-spec field path (`groups[0].resources[1].cpu_millis`) to the SDL site behind it.
fn site_of<'a>(plan: &'a [PlannedGroup<'a>], field: &str, mixed_denoms: bool) -> Option<&'a Site> {
    let (g, rest) = indexed(field, "groups")?;
    let group = plan.get(g)?;
    if let Some((u, rest)) = indexed(rest, "resources") {
        let unit = group.units.get(u)?;
        let profile = unit.profile;
        let site = match rest.split(['.', '[']).next().unwrap_or("") {
            "cpu_millis" => &profile.cpu_site,
            "memory_bytes" => &profile.memory_site,
            "count" => unit.count_site,
            "storage" => match indexed(rest, "storage") {
                Some((k, _)) => profile.storage.get(k).map_or(&profile.storage_site, |v| &v.site),
                None => &profile.storage_site,
            },
            "gpu" => &profile.gpu_site,
            "endpoints" => unit.expose_site,
            "price" => &unit.price.site,
            _ => &profile.site,
        };
        return Some(site);
    }
    if mixed_denoms {
        return Some(group.units.first().map_or(&group.placement.site, |u| &u.price.site));
    }
    if let Some((k, _)) = indexed(rest, "requirements.attributes") {
        let (attributes, _) = requirements(group);
        return Some(attributes.get(k).map_or(&group.placement.site, |(_, site)| *site));
    }
    if rest.starts_with("requirements.signed_by") {
        return Some(&group.placement.signed_by_site);
    }
    Some(&group.placement.site)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_paths() {
        assert_eq!(indexed("groups[2].resources[0].cpu_millis", "groups"), Some((2, "resources[0].cpu_millis")));
        assert_eq!(indexed("resources[10]", "resources"), Some((10, "")));
        assert_eq!(indexed("groups", "groups"), None);
        assert_eq!(indexed("groups[x]", "groups"), None);
    }
}
