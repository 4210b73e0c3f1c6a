//! SDL parsing end to end: the example files map to exactly the expected group specs, every kind
//! of bad input gives a typed error naming the field and its position, the manifest hash ignores
//! formatting but not meaning, and no input makes the parser panic.

use std::path::PathBuf;

use cosmwasm_std::{DecCoin, Decimal256};
use leasehold_client::sdl::{Location, Sdl, SdlError, SdlErrorKind, SdlVersion, parse_sdl};
use leasehold_types::resources::{
    Endpoint, EndpointKind, GIB, GpuModel, GpuRequest, GroupSpec, MIB, PlacementRequirements, ResourceUnit,
    StorageVolume, validate_groups,
};
use leasehold_types::{Attribute, SignedBy, ValidationError};
use proptest::prelude::*;

const AUDITOR: &str = "lease1fzlzhctyw7kkcp9het62pkscpj8vxd39dl6862";

fn example(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn price(amount: &str, denom: &str) -> DecCoin {
    DecCoin::new(amount.parse::<Decimal256>().unwrap(), denom)
}

fn volume(name: &str, size_bytes: u64, class: Option<&str>, persistent: bool) -> StorageVolume {
    StorageVolume { name: name.into(), size_bytes, class: class.map(Into::into), persistent }
}

fn endpoint(kind: EndpointKind, sequence_number: u32) -> Endpoint {
    Endpoint { kind, sequence_number }
}

fn gpu(vendor_models: &[(&str, Option<&str>, Option<&str>)], units: u32) -> GpuRequest {
    GpuRequest {
        units,
        models: vendor_models
            .iter()
            .map(|(model, ram, interface)| GpuModel {
                vendor: "nvidia".into(),
                model: (*model).into(),
                ram: ram.map(Into::into),
                interface: interface.map(Into::into),
            })
            .collect(),
    }
}

fn groups_of(yaml: &str) -> Vec<GroupSpec> {
    let sdl = parse_sdl(yaml).unwrap_or_else(|e| panic!("{e}"));
    sdl.group_specs().unwrap_or_else(|e| panic!("{e}"))
}

// ---------------------------------------------------------------------------------------------
// The examples
// ---------------------------------------------------------------------------------------------

#[test]
fn gpu_inference_example_maps_to_one_audited_h100_group() {
    let sdl = parse_sdl(&example("gpu-inference.yaml")).unwrap();
    assert_eq!(sdl.version(), SdlVersion::V2_1);
    let groups = sdl.group_specs().unwrap();
    let expected = vec![GroupSpec {
        name: "datacenter".into(),
        requirements: PlacementRequirements {
            signed_by: SignedBy { all_of: vec![], any_of: vec![AUDITOR.into()] },
            attributes: vec![Attribute::new("tier", "datacenter")],
        },
        resources: vec![ResourceUnit {
            id: 1,
            cpu_millis: 16_000,
            memory_bytes: 128 * GIB,
            storage: vec![volume("default", 100 * GIB, None, false), volume("models", 500 * GIB, Some("beta3"), true)],
            gpu: gpu(&[("h100", Some("80Gi"), Some("sxm"))], 1),
            endpoints: vec![endpoint(EndpointKind::SharedHttp, 0)],
            count: 1,
            price: price("3500", "uusdc"),
        }],
    }];
    assert_eq!(groups, expected);
    validate_groups(&groups).unwrap();
    assert_eq!(groups[0].price().unwrap(), price("3500", "uusdc"));
}

#[test]
fn web_service_example_shares_one_cpu_unit_between_its_services() {
    let groups = groups_of(&example("web-service.yaml"));
    let expected = vec![GroupSpec {
        name: "eu".into(),
        requirements: PlacementRequirements {
            signed_by: SignedBy::default(),
            attributes: vec![Attribute::new("region", "eu-west")],
        },
        resources: vec![ResourceUnit {
            id: 1,
            cpu_millis: 500,
            memory_bytes: 512 * MIB,
            storage: vec![volume("default", GIB, None, false)],
            gpu: GpuRequest::default(),
            // the cache is exposed only to `web`, so only the web front end needs an endpoint
            endpoints: vec![endpoint(EndpointKind::SharedHttp, 0)],
            count: 3,
            price: price("100", "ulease"),
        }],
    }];
    assert_eq!(groups, expected);
    assert_eq!(groups[0].price().unwrap(), price("300", "ulease"));
}

#[test]
fn multi_group_example_gives_one_group_per_placement_sorted_by_name() {
    let groups = groups_of(&example("multi-group.yaml"));
    let expected = vec![
        GroupSpec {
            name: "eu-api".into(),
            requirements: PlacementRequirements {
                signed_by: SignedBy::default(),
                attributes: vec![Attribute::new("region", "eu-west"), Attribute::new("tier", "community")],
            },
            resources: vec![ResourceUnit {
                id: 1,
                cpu_millis: 1_500,
                memory_bytes: 2 * GIB,
                storage: vec![volume("default", 5 * GIB, None, false)],
                gpu: GpuRequest::default(),
                endpoints: vec![endpoint(EndpointKind::SharedHttp, 0)],
                count: 3,
                price: price("150.5", "uusdc"),
            }],
        },
        GroupSpec {
            name: "us-gpu".into(),
            requirements: PlacementRequirements {
                signed_by: SignedBy::default(),
                attributes: vec![Attribute::new("region", "us-east")],
            },
            resources: vec![ResourceUnit {
                id: 1,
                cpu_millis: 8_000,
                memory_bytes: 64 * GIB,
                storage: vec![
                    volume("default", 20 * GIB, None, false),
                    volume("scratch", 200 * GIB, Some("beta2"), true),
                ],
                gpu: gpu(&[("a100", Some("80Gi"), None), ("h100", None, None)], 2),
                endpoints: vec![endpoint(EndpointKind::RandomPort, 0)],
                count: 1,
                price: price("6000", "uusdc"),
            }],
        },
    ];
    assert_eq!(groups, expected);
    assert_eq!(groups[0].price().unwrap(), price("451.5", "uusdc"));
}

#[test]
fn examples_capabilities_match_the_providers_they_target() {
    let groups = groups_of(&example("gpu-inference.yaml"));
    let h100 = [Attribute::new("capabilities/gpu/vendor/nvidia/model/h100/ram/80Gi/interface/sxm5", "true")];
    let a100 = [Attribute::new("capabilities/gpu/vendor/nvidia/model/a100/ram/80Gi/interface/sxm4", "true")];
    let storage = [
        Attribute::new("capabilities/storage/1/class", "beta3"),
        Attribute::new("capabilities/storage/1/persistent", "true"),
    ];
    let provider: Vec<Attribute> = h100.iter().chain(storage.iter()).cloned().collect();
    assert!(groups[0].capabilities_satisfied_by(&provider));
    let provider: Vec<Attribute> = a100.iter().chain(storage.iter()).cloned().collect();
    assert!(!groups[0].capabilities_satisfied_by(&provider));
}

// ---------------------------------------------------------------------------------------------
// Mapping details
// ---------------------------------------------------------------------------------------------

const BASE: &str = r#"version: "2.1"
services:
  web:
    image: nginx:1.27
    expose:
      - port: 80
        to:
          - global: true
profiles:
  compute:
    web:
      resources:
        cpu:
          units: 0.5
        memory:
          size: 512Mi
        storage:
          size: 1Gi
  placement:
    dc:
      attributes:
        region: eu-west
      pricing:
        web:
          denom: ulease
          amount: 100
deployment:
  web:
    dc:
      profile: web
      count: 2
"#;

/// BASE with one exact, unique substring replaced.
fn with(from: &str, to: &str) -> String {
    assert_eq!(BASE.matches(from).count(), 1, "{from:?} must occur once in BASE");
    BASE.replace(from, to)
}

fn parse_and_map(yaml: &str) -> Result<(Sdl, Vec<GroupSpec>), SdlError> {
    let sdl = parse_sdl(yaml)?;
    let groups = sdl.group_specs()?;
    Ok((sdl, groups))
}

fn error(yaml: &str) -> SdlError {
    match parse_and_map(yaml) {
        Ok(_) => panic!("accepted:\n{yaml}"),
        Err(e) => e,
    }
}

#[test]
fn base_is_valid() {
    let (_, groups) = parse_and_map(BASE).unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].resources[0].cpu_millis, 500);
    assert_eq!(groups[0].resources[0].count, 2);
}

#[test]
fn quantities_convert_like_akash() {
    let cases = [
        ("units: 0.5", "units: 500m", 500),
        ("units: 0.5", "units: 1", 1000),
        ("units: 0.5", "units: \"2.25\"", 2250),
        ("units: 0.5", "units: 100m", 100),
    ];
    for (from, to, millis) in cases {
        assert_eq!(groups_of(&with(from, to))[0].resources[0].cpu_millis, millis, "{to}");
    }
    let memory = [
        ("512Mi", 512 * MIB),
        ("2Gi", 2 * GIB),
        ("1Ti", 1 << 40),
        ("1500k", 1_500_000),
        ("64M", 64_000_000),
        ("2G", 2_000_000_000),
        ("1T", 1_000_000_000_000),
        ("1.5Gi", 3 * GIB / 2),
        ("1048576", MIB),
    ];
    for (text, bytes) in memory {
        assert_eq!(groups_of(&with("size: 512Mi", &format!("size: {text}")))[0].resources[0].memory_bytes, bytes);
    }
}

#[test]
fn v2_0_gives_each_service_deployment_its_own_unit_and_v2_1_shares_by_profile() {
    let two_services = |version: &str| {
        with("version: \"2.1\"", &format!("version: \"{version}\""))
            .replace("services:\n", "services:\n  api:\n    image: api:1\n")
            .replace("deployment:\n", "deployment:\n  api:\n    dc:\n      profile: web\n      count: 1\n")
    };
    let v21 = groups_of(&two_services("2.1"));
    assert_eq!(v21[0].resources.len(), 1);
    assert_eq!(v21[0].resources[0].count, 3);
    assert_eq!(v21[0].resources[0].endpoints, vec![endpoint(EndpointKind::SharedHttp, 0)]);

    let v20 = groups_of(&two_services("2.0"));
    assert_eq!(v20[0].resources.iter().map(|u| (u.id, u.count)).collect::<Vec<_>>(), vec![(1, 1), (2, 2)]);
    assert!(v20[0].resources[0].endpoints.is_empty(), "api exposes nothing");
    assert_eq!(v20[0].resources[1].endpoints, vec![endpoint(EndpointKind::SharedHttp, 0)]);
}

#[test]
fn endpoints_follow_akash_kinds_and_ip_sequence_numbers() {
    let yaml = with(
        "      - port: 80\n        to:\n          - global: true\n",
        "      - port: 80\n        to:\n          - global: true\n            ip: zeta\n      - port: 22\n        to:\n          - global: true\n            ip: alpha\n      - port: 8080\n        as: 80\n        proto: udp\n        to:\n          - global: true\n      - port: 9000\n",
    )
    .replace("deployment:\n", "endpoints:\n  zeta:\n    kind: ip\n  alpha:\n    kind: ip\ndeployment:\n");
    let groups = groups_of(&yaml);
    let mut kinds = groups[0].resources[0].endpoints.clone();
    kinds.sort_by_key(|e| (e.sequence_number, e.kind as u8));
    assert_eq!(
        kinds,
        vec![
            endpoint(EndpointKind::SharedHttp, 0),
            endpoint(EndpointKind::RandomPort, 0),
            endpoint(EndpointKind::RandomPort, 0),
            endpoint(EndpointKind::LeasedIp, 1), // alpha
            endpoint(EndpointKind::LeasedIp, 2), // zeta
        ]
    );
}

#[test]
fn tee_param_adds_a_placement_attribute() {
    let yaml = with("    image: nginx:1.27\n", "    image: nginx:1.27\n    params:\n      tee: cpu\n");
    let groups = groups_of(&yaml);
    assert_eq!(
        groups[0].requirements.attributes,
        vec![Attribute::new("region", "eu-west"), Attribute::new("tee/type", "cpu")]
    );
    let gpu_tee = with("    image: nginx:1.27\n", "    image: nginx:1.27\n    params:\n      tee: cpu-gpu\n");
    let e = error(&gpu_tee);
    assert_eq!(e.path(), "services.web.params.tee");
}

#[test]
fn storage_list_defaults_and_gpu_wildcard() {
    let yaml = with(
        "        storage:\n          size: 1Gi\n",
        "        storage:\n          - size: 1Gi\n          - name: cache\n            size: 2Gi\n            attributes:\n              class: ram\n          - name: data\n            size: 10Gi\n            attributes:\n              persistent: yes\n        gpu:\n          units: 2\n          attributes:\n            vendor:\n              nvidia:\n",
    )
    .replace("    image: nginx:1.27\n", "    image: nginx:1.27\n    params:\n      storage:\n        data:\n          mount: /data\n");
    let unit = &groups_of(&yaml)[0].resources[0];
    assert_eq!(
        unit.storage,
        vec![
            volume("default", GIB, None, false),
            volume("cache", 2 * GIB, Some("ram"), false),
            volume("data", 10 * GIB, Some("default"), true),
        ]
    );
    assert_eq!(unit.gpu, gpu(&[("*", None, None)], 2));
}

#[test]
fn anchors_comments_and_flow_style_are_plain_yaml() {
    let yaml = r#"
version: '2.1'
services: {web: {image: nginx, expose: [{port: 80, to: [{global: true}]}]}}
profiles:
  compute:
    web: &small
      resources: {cpu: {units: 250m}, memory: {size: 256Mi}, storage: {size: 512Mi}}  # comment
    other: *small
  placement:
    dc: {pricing: {web: {denom: uusdc, amount: "0.25"}}}
deployment: {web: {dc: {profile: web, count: 1}}}
"#;
    let groups = groups_of(yaml);
    assert_eq!(groups[0].resources[0].cpu_millis, 250);
    assert_eq!(groups[0].resources[0].price, price("0.25", "uusdc"));
}

// ---------------------------------------------------------------------------------------------
// Errors: each names the field and its position
// ---------------------------------------------------------------------------------------------

#[track_caller]
fn assert_error(yaml: &str, path: &str, line: usize, fragment: &str) -> SdlError {
    let e = error(yaml);
    let shown = e.to_string();
    assert_eq!(e.path(), path, "{shown}");
    assert_eq!(e.line(), line, "{shown}");
    let shown_path = if path.is_empty() { "SDL" } else { path };
    assert!(shown.starts_with(&format!("{shown_path} (line {line}, column ")), "{shown}");
    assert!(shown.contains(fragment), "{shown:?} lacks {fragment:?}");
    e
}

#[test]
fn bad_cpu_quantity() {
    let e = assert_error(
        &with("units: 0.5", "units: abc"),
        "profiles.compute.web.resources.cpu.units",
        14,
        "\"abc\" is not a CPU quantity",
    );
    assert_eq!(e.location(), Location { line: 14, column: 18 });
    assert_eq!(
        e.to_string().split(" (write").next().unwrap(),
        "profiles.compute.web.resources.cpu.units (line 14, column 18): \"abc\" is not a CPU quantity"
    );
    assert_error(&with("units: 0.5", "units: 1.5m"), "profiles.compute.web.resources.cpu.units", 14, "1.5m");
    assert_error(&with("units: 0.5", "units: -1"), "profiles.compute.web.resources.cpu.units", 14, "-1");
}

#[test]
fn bad_memory_and_storage_quantities() {
    assert_error(
        &with("size: 512Mi", "size: 512MB"),
        "profiles.compute.web.resources.memory.size",
        16,
        "\"512MB\" is not a size",
    );
    assert_error(&with("size: 1Gi", "size: lots"), "profiles.compute.web.resources.storage.size", 18, "lots");
}

#[test]
fn unknown_profile_referenced_by_deployment() {
    let e = assert_error(
        &with("profile: web", "profile: gpu"),
        "deployment.web.dc.profile",
        30,
        "no compute profile named \"gpu\"",
    );
    assert_eq!(e.column(), 16);
    assert_eq!(e.kind(), &SdlErrorKind::UnknownReference { what: "compute profile", name: "gpu".into() });
}

#[test]
fn unknown_placement_and_service_in_deployment() {
    assert_error(&with("    dc:\n      profile", "    us:\n      profile"), "deployment.web.us", 29, "placement");
    let yaml = format!("{BASE}  ghost:\n    dc:\n      profile: web\n      count: 1\n");
    assert_error(&yaml, "deployment.ghost", 32, "no service named \"ghost\"");
}

#[test]
fn missing_pricing_for_a_profile() {
    let yaml = with("    web:\n      resources:", "    big:\n      resources:\n        cpu: {units: 4}\n        memory: {size: 8Gi}\n        storage: {size: 10Gi}\n    web:\n      resources:")
        .replace("      profile: web", "      profile: big");
    let e = error(&yaml);
    assert_eq!(e.path(), "profiles.placement.dc.pricing");
    assert_eq!(e.kind(), &SdlErrorKind::MissingPricing { placement: "dc".into(), profile: "big".into() });
    assert!(e.to_string().contains("placement \"dc\" has no pricing for compute profile \"big\""), "{e}");
}

#[test]
fn zero_count() {
    let e = assert_error(&with("count: 2", "count: 0"), "deployment.web.dc.count", 31, "must be at least 1");
    assert_eq!(e.column(), 14);
}

#[test]
fn gpu_units_without_attributes() {
    let yaml = with(
        "        storage:\n          size: 1Gi\n",
        "        storage:\n          size: 1Gi\n        gpu:\n          units: 1\n",
    );
    assert_error(&yaml, "profiles.compute.web.resources.gpu.attributes", 19, "require attributes naming the vendor");
    let attrs_without_units = with(
        "        storage:\n          size: 1Gi\n",
        "        storage:\n          size: 1Gi\n        gpu:\n          units: 0\n          attributes:\n            vendor:\n              nvidia:\n",
    );
    assert_error(&attrs_without_units, "profiles.compute.web.resources.gpu.units", 20, "at least one GPU unit");
    let amd = with(
        "        storage:\n          size: 1Gi\n",
        "        storage:\n          size: 1Gi\n        gpu:\n          units: 1\n          attributes:\n            vendor:\n              amd:\n",
    );
    let e = assert_error(&amd, "profiles.compute.web.resources.gpu.attributes.vendor.amd", 23, "only `nvidia`");
    assert!(matches!(e.kind(), SdlErrorKind::Unsupported { .. }));
    let bad_ram = with(
        "        storage:\n          size: 1Gi\n",
        "        storage:\n          size: 1Gi\n        gpu:\n          units: 1\n          attributes:\n            vendor:\n              nvidia:\n                - model: h100\n                  ram: 80GB\n",
    );
    assert_error(&bad_ram, "profiles.compute.web.resources.gpu.attributes.vendor.nvidia[0].ram", 25, "80GB");
}

#[test]
fn invalid_attribute_keys() {
    let e = assert_error(
        &with("region: eu-west", "1region: eu-west"),
        "profiles.placement.dc.attributes.1region",
        22,
        "is not a valid attribute key: must start with a letter",
    );
    assert_eq!(e.column(), 9);
    assert_error(
        &with("region: eu-west", "reg ion: eu-west"),
        "profiles.placement.dc.attributes.reg ion",
        22,
        "only letters",
    );
    assert_error(&with("region: eu-west", "re*gion: eu-west"), "profiles.placement.dc.attributes.re*gion", 22, "`*`");
}

#[test]
fn unsupported_version() {
    let e =
        assert_error(&with("version: \"2.1\"", "version: \"3.0\""), "version", 1, "unsupported SDL version \"3.0\"");
    assert_eq!(e.kind(), &SdlErrorKind::UnsupportedVersion { version: "3.0".into() });
    assert_error(&with("version: \"2.1\"", "version: 1"), "version", 1, "\"1\"");
    assert_error(&with("version: \"2.1\"\n", ""), "", 1, "missing required field \"version\"");
}

#[test]
fn yaml_syntax_error_reports_the_line() {
    let e = error(&with("        region: eu-west", "        region: [eu-west"));
    assert!(matches!(e.kind(), SdlErrorKind::Syntax { .. }), "{e}");
    assert!(e.line() >= 22, "{e}");
    assert!(e.to_string().starts_with(&format!("SDL (line {}, column", e.line())), "{e}");

    let e = error(&with("    image: nginx:1.27", "    image: nginx:1.27\n   bad: indentation"));
    assert!(matches!(e.kind(), SdlErrorKind::Syntax { .. }), "{e}");
    assert_eq!(e.line(), 5, "{e}");
}

#[test]
fn unknown_fields_at_every_level() {
    let e = assert_error(&format!("{BASE}servics: {{}}\n"), "servics", 32, "unknown field \"servics\"");
    assert_eq!(e.column(), 1);
    assert!(e.to_string().contains("expected one of: version, include, services"), "{e}");
    assert_error(&with("units: 0.5", "unit: 0.5"), "profiles.compute.web.resources.cpu.unit", 14, "unknown field");
    assert_error(&with("    image: nginx:1.27", "    imgae: nginx:1.27"), "services.web.imgae", 4, "unknown field");
    assert_error(&with("      - port: 80", "      - prot: 80"), "services.web.expose[0].prot", 6, "unknown field");
    assert_error(&with("count: 2", "count: 2\n      replicas: 2"), "deployment.web.dc.replicas", 32, "unknown field");
}

#[test]
fn missing_and_mistyped_fields() {
    assert_error(&with("    image: nginx:1.27\n", ""), "services.web", 3, "missing required field \"image\"");
    assert_error(&with("services:\n  web:", "services:\n  - web:"), "services", 2, "expected a mapping, found a list");
    assert_error(&with("          amount: 100\n", ""), "profiles.placement.dc.pricing.web", 24, "\"amount\"");
    assert_error(&with("port: 80", "port: [80]"), "services.web.expose[0].port", 6, "expected a scalar");
}

#[test]
fn duplicate_keys() {
    let e = error(&with("    image: nginx:1.27", "    image: nginx:1.27\n    image: nginx:1.28"));
    assert_eq!(e.kind(), &SdlErrorKind::DuplicateKey { key: "image".into() });
    assert_eq!(e.line(), 5);
}

#[test]
fn bad_values() {
    assert_error(&with("amount: 100", "amount: 0"), "profiles.placement.dc.pricing.web.amount", 26, "more than 0");
    assert_error(&with("amount: 100", "amount: 1e3"), "profiles.placement.dc.pricing.web.amount", 26, "decimal");
    assert_error(&with("denom: ulease", "denom: \"u lease\""), "profiles.placement.dc.pricing.web.denom", 25, "denom");
    assert_error(&with("port: 80", "port: 70000"), "services.web.expose[0].port", 6, "larger than 65535");
    assert_error(&with("port: 80", "port: 0"), "services.web.expose[0].port", 6, "not a port");
    assert_error(&with("global: true", "global: maybe"), "services.web.expose[0].to[0].global", 8, "boolean");
    assert_error(&with("  web:\n    image", "  Web:\n    image"), "services.Web", 3, "service name");
    assert_error(
        &with("    image: nginx:1.27\n", "    image: nginx:1.27\n    env: [\"1X=2\"]\n"),
        "services.web.env[0]",
        5,
        "1X",
    );
    assert_error(
        &with("          - global: true\n", "          - global: true\n        accept: [Bad_Host]\n"),
        "services.web.expose[0].accept[0]",
        9,
        "hostname",
    );
}

#[test]
fn storage_rules() {
    let ram_persistent = with(
        "          size: 1Gi\n",
        "          size: 1Gi\n          attributes:\n            class: ram\n            persistent: true\n",
    );
    assert_error(
        &ram_persistent,
        "profiles.compute.web.resources.storage.attributes.class",
        20,
        "cannot be persistent",
    );
    let class_not_persistent =
        with("          size: 1Gi\n", "          size: 1Gi\n          attributes:\n            class: beta2\n");
    assert_error(
        &class_not_persistent,
        "profiles.compute.web.resources.storage.attributes.class",
        20,
        "persistent: true",
    );
    let unmounted =
        with("          size: 1Gi\n", "          size: 1Gi\n          attributes:\n            persistent: true\n");
    assert_error(&unmounted, "services.web.params.storage", 3, "must be mounted");
    let unknown_volume = with(
        "    image: nginx:1.27\n",
        "    image: nginx:1.27\n    params:\n      storage:\n        data:\n          mount: /data\n",
    );
    assert_error(&unknown_volume, "services.web.params.storage.data", 3, "no storage volume");
    let relative = with(
        "    image: nginx:1.27\n",
        "    image: nginx:1.27\n    params:\n      storage:\n        default:\n          mount: data\n",
    );
    assert_error(&relative, "services.web.params.storage.default.mount", 8, "absolute");
}

#[test]
fn endpoint_rules() {
    let ip_not_global = with("          - global: true\n", "          - ip: myip\n")
        .replace("deployment:\n", "endpoints:\n  myip:\n    kind: ip\ndeployment:\n");
    assert_error(&ip_not_global, "services.web.expose[0].to[0].ip", 8, "requires `global: true`");
    let unused = BASE.replace("deployment:\n", "endpoints:\n  myip:\n    kind: ip\ndeployment:\n");
    assert_error(&unused, "endpoints.myip", 28, "no deployed service uses it");
    let undeclared = with("          - global: true\n", "          - global: true\n            ip: nope\n");
    assert_error(&undeclared, "services.web.expose", 5, "no endpoint named \"nope\"");
    let bad_kind = BASE.replace("deployment:\n", "endpoints:\n  myip:\n    kind: dns\ndeployment:\n");
    assert_error(&bad_kind, "endpoints.myip.kind", 29, "dns");
}

#[test]
fn unsupported_akash_features() {
    let e = error(&format!("{BASE}reclamation:\n  min_window: 1h\n"));
    assert_eq!(e.path(), "reclamation");
    assert!(matches!(e.kind(), SdlErrorKind::Unsupported { .. }));
    let e = error(&with(
        "          units: 0.5\n",
        "          units: 0.5\n          attributes:\n            arch: amd64\n",
    ));
    assert_eq!(e.path(), "profiles.compute.web.resources.cpu.attributes");
    assert!(e.to_string().contains("placement attribute"), "{e}");
    let e = error(&format!("{BASE}include: [other.yaml]\n"));
    assert_eq!(e.path(), "include");
    parse_and_map(&format!("{BASE}include: []\n")).unwrap();
}

// The market's own validation, reported at the SDL field behind the group-spec field.

#[track_caller]
fn assert_market(yaml: &str, path: &str, line: usize, group_field: &str) {
    let e = error(yaml);
    let SdlErrorKind::Market { error } = e.kind() else { panic!("not a market refusal: {e}") };
    assert_eq!(e.path(), path, "{e}");
    assert_eq!(e.line(), line, "{e}");
    assert!(error.to_string().starts_with(group_field), "{error} does not start with {group_field}");
    assert!(e.to_string().contains("refused by the market's validation"), "{e}");
}

#[test]
fn market_bounds_are_enforced_at_the_sdl_field() {
    assert_market(
        &with("units: 0.5", "units: 5m"),
        "profiles.compute.web.resources.cpu.units",
        14,
        "groups[0].resources[0].cpu_millis",
    );
    assert_market(
        &with("units: 0.5", "units: 385"),
        "profiles.compute.web.resources.cpu.units",
        14,
        "groups[0].resources[0].cpu_millis",
    );
    assert_market(
        &with("size: 512Mi", "size: 512Ki"),
        "profiles.compute.web.resources.memory.size",
        16,
        "groups[0].resources[0].memory_bytes",
    );
    assert_market(
        &with("size: 1Gi", "size: 33Ti"),
        "profiles.compute.web.resources.storage",
        17,
        "groups[0].resources[0].storage[0].size_bytes",
    );
    assert_market(&with("count: 2", "count: 51"), "deployment.web.dc.count", 31, "groups[0].resources[0].count");
    assert_market(
        &with("amount: 100", "amount: 10000000.5"),
        "profiles.placement.dc.pricing.web.amount",
        26,
        "groups[0].resources[0].price",
    );
    let gpus = with(
        "        storage:\n          size: 1Gi\n",
        "        storage:\n          size: 1Gi\n        gpu:\n          units: 25\n          attributes:\n            vendor:\n              nvidia:\n",
    );
    assert_market(&gpus, "profiles.compute.web.resources.gpu", 19, "groups[0].resources[0].gpu.units");
    let signers: String = (0..9).map(|i| format!("          - lease1auditor{i}\n")).collect();
    let nine = with("      pricing:\n", &format!("      signedBy:\n        allOf:\n{signers}      pricing:\n"));
    assert_market(&nine, "profiles.placement.dc.signedBy", 23, "groups[0].requirements.signed_by.all_of");
    let dup = with("      pricing:\n", "      signedBy:\n        anyOf: [lease1a, lease1a]\n      pricing:\n");
    assert_market(&dup, "profiles.placement.dc.signedBy", 23, "groups[0].requirements.signed_by.any_of");
}

#[test]
fn one_deployment_is_priced_in_one_denom() {
    let yaml = with(
        "    dc:\n      attributes:",
        "    us:\n      pricing:\n        web: {denom: uusdc, amount: 5}\n    dc:\n      attributes:",
    )
    .replace("      count: 2\n", "      count: 2\n    us:\n      profile: web\n      count: 1\n");
    let e = error(&yaml);
    assert!(matches!(e.kind(), SdlErrorKind::Market { error: ValidationError::MixedDenoms { .. } }), "{e}");
    assert_eq!(e.path(), "profiles.placement.us.pricing.web.amount", "{e}");
}

#[test]
fn every_error_is_displayed_with_path_and_position() {
    for yaml in ["", "[]", "version: \"2.1\"", ": :", "a: [", "version: \"2.1\"\nservices: 3\n"] {
        let e = parse_sdl(yaml).unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains(" (line "), "{shown}");
        assert!(e.line() >= 1 && e.column() >= 1, "{shown}");
    }
}

// ---------------------------------------------------------------------------------------------
// Manifest hash
// ---------------------------------------------------------------------------------------------

const REFORMATTED: &str = r#"
# The same deployment as BASE: keys reordered, flow style, other quoting, comments.
deployment: {web: {dc: {count: 2, profile: "web"}}}
profiles:
  placement:
    dc:
      pricing: {web: {amount: "100", denom: 'ulease'}}
      attributes: {region: "eu-west"}
  compute:
    web:
      resources:
        storage: {size: "1Gi"}
        memory: {size: '512Mi'}
        cpu: {units: "0.5"}
services:
  web:
    expose: [{to: [{global: yes}], port: 80}]
    image: 'nginx:1.27'
version: '2.1'
"#;

fn hash(yaml: &str) -> [u8; 32] {
    parse_sdl(yaml).unwrap_or_else(|e| panic!("{e}")).manifest_hash()
}

#[test]
fn manifest_hash_ignores_key_order_and_formatting() {
    assert_eq!(hash(BASE), hash(REFORMATTED));
    assert_eq!(parse_sdl(BASE).unwrap().manifest_json(), parse_sdl(REFORMATTED).unwrap().manifest_json());
    // equivalent quantities are the same resource
    assert_eq!(hash(BASE), hash(&with("units: 0.5", "units: 500m")));
    assert_eq!(hash(BASE), hash(&with("amount: 100", "amount: \"100.000\"")));
}

#[test]
fn manifest_hash_changes_with_every_semantic_change() {
    let base = hash(BASE);
    let changes = [
        ("image: nginx:1.27", "image: nginx:1.28"),
        ("units: 0.5", "units: 0.75"),
        ("size: 512Mi", "size: 1Gi"),
        ("size: 1Gi", "size: 2Gi"),
        ("count: 2", "count: 3"),
        ("port: 80", "port: 81"),
        ("- global: true", "- global: false"),
        ("region: eu-west", "region: us-east"),
        ("amount: 100", "amount: 101"),
        ("denom: ulease", "denom: uusdc"),
        ("    dc:\n      attributes", "    dc:\n      signedBy: {anyOf: [lease1x]}\n      attributes"),
        ("    image: nginx:1.27\n", "    image: nginx:1.27\n    env: [A=1]\n"),
        ("    image: nginx:1.27\n", "    image: nginx:1.27\n    command: [nginx]\n"),
        ("    image: nginx:1.27\n", "    image: nginx:1.27\n    args: [-g]\n"),
        ("          - global: true\n", "          - global: true\n        accept: [www.example.com]\n"),
        ("      - port: 80\n", "      - port: 80\n        http_options: {max_body_size: 2048}\n"),
    ];
    let mut seen = vec![base];
    for (from, to) in changes {
        let h = hash(&with(from, to));
        assert!(!seen.contains(&h), "{from:?} -> {to:?} did not change the hash (or collided)");
        seen.push(h);
    }
    // renaming the placement, the service or the profile changes it too
    for (from, to) in [
        ("    dc:\n      attributes", "    eu:\n      attributes"),
        ("    dc:\n      profile", "    eu:\n      profile"),
    ] {
        let renamed = with(from, to);
        let other = if from.contains("attributes") { "    dc:\n      profile" } else { "    dc:\n      attributes" };
        let yaml = renamed.replace(other, &other.replace("dc", "eu"));
        assert_ne!(hash(&yaml), base);
    }
}

#[test]
fn manifest_json_is_canonical() {
    let json = parse_sdl(BASE).unwrap().manifest_json();
    assert!(!json.contains(' ') && !json.contains('\n'), "{json}");
    assert!(json.starts_with(
        "[{\"name\":\"dc\",\"requirements\":{\"attributes\":[{\"key\":\"region\",\"value\":\"eu-west\"}]"
    ));
    assert!(json.contains("\"price\":{\"amount\":\"100\",\"denom\":\"ulease\"}"), "{json}");
    assert!(
        json.contains("\"services\":[{\"args\":[],\"command\":[],\"count\":2,\"credentials\":null,\"env\":[]"),
        "{json}"
    );
}

#[test]
fn examples_have_distinct_stable_hashes() {
    let hashes: Vec<[u8; 32]> =
        ["gpu-inference.yaml", "web-service.yaml", "multi-group.yaml"].iter().map(|f| hash(&example(f))).collect();
    assert_ne!(hashes[0], hashes[1]);
    assert_ne!(hashes[1], hashes[2]);
    assert_ne!(hashes[0], hashes[2]);
    for (f, h) in ["gpu-inference.yaml", "web-service.yaml", "multi-group.yaml"].iter().zip(&hashes) {
        assert_eq!(&hash(&example(f)), h);
    }
}

// ---------------------------------------------------------------------------------------------
// No input panics
// ---------------------------------------------------------------------------------------------

/// Runs everything a client would on the input; returns whether it was accepted.
fn exercise(text: &str) -> bool {
    match parse_sdl(text) {
        Ok(sdl) => {
            let _ = sdl.manifest_hash();
            match sdl.group_specs() {
                Ok(groups) => {
                    validate_groups(&groups).expect("group_specs returned groups the market refuses");
                    true
                }
                Err(e) => {
                    assert!(e.line() >= 1);
                    false
                }
            }
        }
        Err(e) => {
            assert!(e.line() >= 1 && e.column() >= 1, "{e}");
            let _ = e.to_string();
            false
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, String),
    ReplaceLine(usize, String),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Indent(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let fragment = prop_oneof![
        "[ -~]{0,12}",
        Just("- ".to_string()),
        Just(": ".to_string()),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("{".to_string()),
        Just("\n  x: 1\n".to_string()),
        Just("0".to_string()),
        Just("999999999999999999999".to_string()),
        Just("\t".to_string()),
        Just("\"".to_string()),
        Just("é".to_string()),
    ];
    prop_oneof![
        (any::<usize>(), 0usize..20).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), fragment.clone()).prop_map(|(a, s)| Mutation::Insert(a, s)),
        (any::<usize>(), fragment).prop_map(|(a, s)| Mutation::ReplaceLine(a, s)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), 0usize..6).prop_map(|(a, n)| Mutation::Indent(a, n)),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len().max(1);
    match m {
        Mutation::Delete(at, len) => {
            let at = at % (chars.len() + 1);
            let end = (at + len).min(chars.len());
            chars[..at].iter().chain(&chars[end..]).collect()
        }
        Mutation::Insert(at, s) => {
            let at = at % (chars.len() + 1);
            chars[..at].iter().collect::<String>() + s + &chars[at..].iter().collect::<String>()
        }
        Mutation::ReplaceLine(at, s) => {
            if !lines.is_empty() {
                lines[at % n] = s.clone();
            }
            lines.join("\n")
        }
        Mutation::DuplicateLine(at) => {
            if !lines.is_empty() {
                let l = lines[at % n].clone();
                lines.insert(at % n, l);
            }
            lines.join("\n")
        }
        Mutation::SwapLines(a, b) => {
            if !lines.is_empty() {
                lines.swap(a % n, b % n);
            }
            lines.join("\n")
        }
        Mutation::Indent(at, k) => {
            if !lines.is_empty() {
                lines[at % n] = format!("{}{}", " ".repeat(*k), lines[at % n]);
            }
            lines.join("\n")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        exercise(&text);
    }

    #[test]
    fn yaml_like_strings_never_panic(text in "([a-z0-9 :\\-\\[\\]{},&*!|>'\"#\n]|  ){0,200}") {
        exercise(&text);
    }

    #[test]
    fn mutated_sdls_never_panic(
        which in 0usize..4,
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let base = match which {
            0 => example("gpu-inference.yaml"),
            1 => example("web-service.yaml"),
            2 => example("multi-group.yaml"),
            _ => BASE.to_string(),
        };
        let mut text = base;
        for m in &mutations {
            text = apply(&text, m);
        }
        exercise(&text);
    }
}
