//! From YAML text to [`Sdl`]: the structure (field names, kinds, required fields), the values
//! (quantities, ports, names) and the references between sections (Akash's `v2.validate`).
//!
//! Unknown fields are errors everywhere, as in Akash's input schema (`sdl-input.schema.yaml`,
//! `additionalProperties: false`): a misspelt key never silently drops a requirement.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use cosmwasm_std::{DecCoin, Decimal256};
use leasehold_types::ValidationError;
use leasehold_types::attributes::validate_key;
use leasehold_types::resources::GpuModel;

use super::error::{Location, SdlError, SdlErrorKind};
use super::model::{
    ComputeProfile, Credentials, Expose, HttpOptions, Placement, Price, Proto, Sdl, SdlVersion, Service,
    ServiceDeployment, ServiceParams, Site, StorageMount, Volume,
};
use super::quantity::{parse_bytes, parse_cpu, parse_gpu_ram, parse_uint};
use super::yaml::{self, Key, Kind, Node};

/// Parses an Akash SDL (version 2.0 or 2.1) and checks it is internally consistent.
///
/// The result maps to the market's group specs with [`Sdl::group_specs`], which also applies the
/// market's own validation. Never panics; every problem is an [`SdlError`] naming the field and
/// its line and column.
pub fn parse_sdl(yaml: &str) -> Result<Sdl, SdlError> {
    let root = yaml::load(yaml)?;
    read_sdl(&root)
}

// ---------------------------------------------------------------------------------------------
// Generic readers
// ---------------------------------------------------------------------------------------------

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

fn wrong_type(path: &str, node: &Node, expected: &'static str) -> SdlError {
    SdlError::new(path, node.loc(), SdlErrorKind::WrongType { expected, found: node.kind_name() })
}

fn invalid(path: &str, loc: Location, value: &str, problem: impl Into<String>) -> SdlError {
    SdlError::new(path, loc, SdlErrorKind::InvalidValue { value: value.to_string(), problem: problem.into() })
}

fn rule(path: &str, loc: Location, message: impl Into<String>) -> SdlError {
    SdlError::new(path, loc, SdlErrorKind::Invalid { message: message.into() })
}

/// A mapping whose keys must come from a fixed list.
struct Fields<'a> {
    entries: &'a [(Key, Node)],
    path: String,
    loc: Location,
}

impl<'a> Fields<'a> {
    fn read(node: &'a Node, path: &str, allowed: &[&str]) -> Result<Self, SdlError> {
        let Kind::Map(entries) = &node.kind else {
            return Err(wrong_type(path, node, "a mapping"));
        };
        if let Some((key, _)) = entries.iter().find(|(k, _)| !allowed.contains(&k.text.as_str())) {
            return Err(SdlError::new(
                join(path, &key.text),
                key.loc,
                SdlErrorKind::UnknownField { field: key.text.clone(), expected: allowed.join(", ") },
            ));
        }
        Ok(Self { entries, path: path.to_string(), loc: node.loc() })
    }

    /// The value of `name`, `None` when absent or null.
    fn get(&self, name: &str) -> Option<&'a Node> {
        self.entries.iter().find(|(k, _)| k.text == name).map(|(_, v)| v).filter(|v| v.kind != Kind::Null)
    }

    fn required(&self, name: &str) -> Result<&'a Node, SdlError> {
        self.get(name).ok_or_else(|| {
            SdlError::new(self.path.clone(), self.loc, SdlErrorKind::MissingField { field: name.to_string() })
        })
    }

    fn path(&self, name: &str) -> String {
        join(&self.path, name)
    }
}

/// A mapping with free keys (names); null reads as empty.
fn entries<'a>(node: &'a Node, path: &str) -> Result<&'a [(Key, Node)], SdlError> {
    match &node.kind {
        Kind::Map(entries) => Ok(entries),
        Kind::Null => Ok(&[]),
        _ => Err(wrong_type(path, node, "a mapping")),
    }
}

/// A list; null reads as empty.
fn items<'a>(node: &'a Node, path: &str) -> Result<&'a [Node], SdlError> {
    match &node.kind {
        Kind::Seq(items) => Ok(items),
        Kind::Null => Ok(&[]),
        _ => Err(wrong_type(path, node, "a list")),
    }
}

fn text<'a>(node: &'a Node, path: &str) -> Result<&'a str, SdlError> {
    match &node.kind {
        Kind::Scalar(s) => Ok(s),
        _ => Err(wrong_type(path, node, "a scalar")),
    }
}

fn string_list(node: &Node, path: &str) -> Result<Vec<String>, SdlError> {
    items(node, path)?.iter().enumerate().map(|(i, n)| text(n, &format!("{path}[{i}]")).map(str::to_string)).collect()
}

/// YAML booleans, including the YAML 1.1 words Akash's parser accepts (`yes`/`no`/`on`/`off`).
fn boolean(node: &Node, path: &str) -> Result<bool, SdlError> {
    let value = text(node, path)?;
    match value {
        "true" | "True" | "TRUE" | "yes" | "on" => Ok(true),
        "false" | "False" | "FALSE" | "no" | "off" => Ok(false),
        _ => Err(invalid(path, node.loc(), value, "is not a boolean (true or false)")),
    }
}

fn uint(node: &Node, path: &str, max: u64) -> Result<u64, SdlError> {
    let value = text(node, path)?;
    match parse_uint(value) {
        Some(v) if v <= max => Ok(v),
        Some(_) => Err(invalid(path, node.loc(), value, format!("is larger than {max}"))),
        None => Err(invalid(path, node.loc(), value, "is not a non-negative integer")),
    }
}

fn uint32(node: &Node, path: &str, max: u32) -> Result<u32, SdlError> {
    // `max` fits in u32, so the conversion cannot fail.
    uint(node, path, max.into()).map(|v| u32::try_from(v).unwrap_or(max))
}

fn non_blank(node: &Node, path: &str) -> Result<String, SdlError> {
    let value = text(node, path)?;
    if value.trim().is_empty() {
        return Err(invalid(path, node.loc(), value, "must not be blank"));
    }
    Ok(value.to_string())
}

// ---------------------------------------------------------------------------------------------
// Name rules
// ---------------------------------------------------------------------------------------------

/// Akash's manifest rule for service names: `^[a-z]([-a-z0-9]*[a-z0-9])?$`.
fn is_service_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[b.len() - 1] != b'-'
}

/// Akash's endpoint name rule: `^[a-z]+[-_0-9a-z]+$`.
fn is_endpoint_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'_')
}

/// A DNS-1123 subdomain (what Akash's manifest requires of `accept` hostnames).
fn is_hostname(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.len() <= 63
                && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// Kubernetes' environment variable name rule: `[-._a-zA-Z][-._a-zA-Z0-9]*`.
fn is_env_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && !b[0].is_ascii_digit()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'))
}

/// The Cosmos SDK denom rule: `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
fn is_denom(denom: &str) -> bool {
    let b = denom.as_bytes();
    (3..=128).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b':' | b'.' | b'_' | b'-'))
}

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

const TOP_FIELDS: &[&str] = &["version", "include", "services", "profiles", "deployment", "endpoints", "reclamation"];

fn read_sdl(root: &Node) -> Result<Sdl, SdlError> {
    let top = Fields::read(root, "", TOP_FIELDS)?;

    let version_node = top.required("version")?;
    let version = match text(version_node, "version")? {
        "2.0" => SdlVersion::V2_0,
        "2.1" => SdlVersion::V2_1,
        other => {
            return Err(SdlError::new(
                "version",
                version_node.loc(),
                SdlErrorKind::UnsupportedVersion { version: other.to_string() },
            ));
        }
    };

    if let Some(node) = top.get("include")
        && !items(node, "include")?.is_empty()
    {
        return Err(SdlError::new(
            "include",
            node.loc(),
            SdlErrorKind::Unsupported {
                feature: "include".into(),
                reason: "an SDL must be self-contained (Akash's parser reads `include` but never uses it)".into(),
            },
        ));
    }
    if let Some(node) = top.get("reclamation") {
        return Err(SdlError::new(
            "reclamation",
            node.loc(),
            SdlErrorKind::Unsupported {
                feature: "reclamation".into(),
                reason: "the Leasehold market has no provider reclamation windows".into(),
            },
        ));
    }

    let endpoints = match top.get("endpoints") {
        Some(node) => read_endpoints(node)?,
        None => BTreeMap::new(),
    };

    let services_node = top.required("services")?;
    let mut services = BTreeMap::new();
    let mut dependencies = Vec::new();
    for (key, node) in entries(services_node, "services")? {
        let path = join("services", &key.text);
        if !is_service_name(&key.text) {
            return Err(invalid(
                &path,
                key.loc,
                &key.text,
                "is not a valid service name (lowercase letters, digits and `-`, starting with a letter)",
            ));
        }
        let (service, deps) = read_service(node, &path)?;
        dependencies.extend(deps);
        services.insert(key.text.clone(), service);
    }
    for (name, site) in dependencies {
        if !services.contains_key(&name) {
            return Err(SdlError::new(site.path, site.loc, SdlErrorKind::UnknownReference { what: "service", name }));
        }
    }

    let profiles = Fields::read(top.required("profiles")?, "profiles", &["compute", "placement"])?;
    let mut compute = BTreeMap::new();
    let compute_path = profiles.path("compute");
    for (key, node) in entries(profiles.required("compute")?, &compute_path)? {
        compute.insert(key.text.clone(), read_compute(node, &join(&compute_path, &key.text))?);
    }
    let mut placements = BTreeMap::new();
    let placement_path = profiles.path("placement");
    for (key, node) in entries(profiles.required("placement")?, &placement_path)? {
        let path = join(&placement_path, &key.text);
        let placement = read_placement(node, &path, Site::new(&path, key.loc), &compute)?;
        placements.insert(key.text.clone(), placement);
    }

    let deployment_node = top.required("deployment")?;
    let deployments = read_deployments(deployment_node, &services, &compute, &placements)?;

    let mut sdl = Sdl {
        version,
        services,
        compute,
        placements,
        deployments,
        ip_endpoints: BTreeMap::new(),
        deployment_site: Site::new("deployment", deployment_node.loc()),
    };
    check_deployed_services(&mut sdl, &endpoints)?;
    Ok(sdl)
}

/// `endpoints.<name>: {kind: ip}` -> name -> where it was declared.
fn read_endpoints(node: &Node) -> Result<BTreeMap<String, Site>, SdlError> {
    let mut out = BTreeMap::new();
    for (key, value) in entries(node, "endpoints")? {
        let path = join("endpoints", &key.text);
        if !is_endpoint_name(&key.text) {
            return Err(invalid(
                &path,
                key.loc,
                &key.text,
                "is not a valid endpoint name (lowercase letters, then letters, digits, `-` or `_`)",
            ));
        }
        let fields = Fields::read(value, &path, &["kind"])?;
        let kind_node = fields.required("kind")?;
        let kind = text(kind_node, &fields.path("kind"))?;
        if kind != "ip" {
            return Err(invalid(&fields.path("kind"), kind_node.loc(), kind, "is not an endpoint kind (only `ip`)"));
        }
        out.insert(key.text.clone(), Site::new(path, key.loc));
    }
    Ok(out)
}

const SERVICE_FIELDS: &[&str] = &["image", "command", "args", "env", "expose", "dependencies", "params", "credentials"];

fn read_service(node: &Node, path: &str) -> Result<(Service, Vec<(String, Site)>), SdlError> {
    let f = Fields::read(node, path, SERVICE_FIELDS)?;
    let image = non_blank(f.required("image")?, &f.path("image"))?;
    let list =
        |name: &str| f.get(name).map(|n| string_list(n, &f.path(name))).transpose().map(Option::unwrap_or_default);
    let command = list("command")?;
    let args = list("args")?;
    let env = list("env")?;
    if let Some(env_node) = f.get("env") {
        for (i, (entry, item)) in env.iter().zip(items(env_node, "")?).enumerate() {
            let name = entry.split_once('=').map_or(entry.as_str(), |(n, _)| n);
            if !is_env_name(name) {
                return Err(invalid(
                    &format!("{}[{i}]", f.path("env")),
                    item.loc(),
                    entry,
                    "does not start with a valid variable name (NAME=value; letters, digits, `_`, `-`, `.`)",
                ));
            }
        }
    }

    let expose_path = f.path("expose");
    let mut expose = Vec::new();
    let mut expose_loc = f.loc;
    if let Some(expose_node) = f.get("expose") {
        expose_loc = expose_node.loc();
        for (i, item) in items(expose_node, &expose_path)?.iter().enumerate() {
            expose.extend(read_expose(item, &format!("{expose_path}[{i}]"))?);
        }
    }
    // Akash's manifest order (`ServiceExposes.Less`): service, port, protocol, global first.
    expose.sort_by(|a, b| {
        (a.service.as_str(), a.port, a.proto, !a.global).cmp(&(b.service.as_str(), b.port, b.proto, !b.global))
    });

    let mut dependencies = Vec::new();
    if let Some(deps) = f.get("dependencies") {
        let deps_path = f.path("dependencies");
        for (i, item) in items(deps, &deps_path)?.iter().enumerate() {
            let item_path = format!("{deps_path}[{i}]");
            let dep = Fields::read(item, &item_path, &["service"])?;
            let svc = dep.required("service")?;
            let name = text(svc, &dep.path("service"))?;
            dependencies.push((name.to_string(), Site::new(dep.path("service"), svc.loc())));
        }
    }

    let mut tee_site = Site::new(f.path("params"), f.loc);
    let params = match f.get("params") {
        Some(p) => {
            let params = read_params(p, &f.path("params"))?;
            if let Some(t) = Fields::read(p, "", &["storage", "permissions", "tee"])?.get("tee") {
                tee_site = Site::new(format!("{}.tee", f.path("params")), t.loc());
            }
            Some(params)
        }
        None => None,
    };
    let credentials = f.get("credentials").map(|c| read_credentials(c, &f.path("credentials"))).transpose()?;
    Ok((
        Service {
            image,
            command,
            args,
            env,
            expose,
            params,
            credentials,
            site: Site::new(path, f.loc),
            expose_site: Site::new(expose_path, expose_loc),
            tee_site,
        },
        dependencies,
    ))
}

const EXPOSE_FIELDS: &[&str] = &["port", "as", "proto", "to", "accept", "http_options"];

fn port(node: &Node, path: &str) -> Result<u32, SdlError> {
    let value = uint32(node, path, 65535)?;
    if value == 0 {
        return Err(invalid(path, node.loc(), "0", "is not a port (1 to 65535)"));
    }
    Ok(value)
}

fn read_expose(node: &Node, path: &str) -> Result<Vec<Expose>, SdlError> {
    let f = Fields::read(node, path, EXPOSE_FIELDS)?;
    let port_value = port(f.required("port")?, &f.path("port"))?;
    let external_port = f.get("as").map(|n| port(n, &f.path("as"))).transpose()?.unwrap_or(0);
    let proto = match f.get("proto") {
        None => Proto::Tcp,
        Some(n) => match text(n, &f.path("proto"))? {
            "tcp" | "TCP" => Proto::Tcp,
            "udp" | "UDP" => Proto::Udp,
            other => return Err(invalid(&f.path("proto"), n.loc(), other, "is not a protocol (tcp or udp)")),
        },
    };
    let mut hosts = Vec::new();
    if let Some(accept) = f.get("accept") {
        for (i, item) in items(accept, &f.path("accept"))?.iter().enumerate() {
            let item_path = format!("{}[{i}]", f.path("accept"));
            let host = text(item, &item_path)?;
            if !is_hostname(host) {
                return Err(invalid(&item_path, item.loc(), host, "is not a valid hostname (lowercase DNS name)"));
            }
            hosts.push(host.to_string());
        }
    }
    let http_options = read_http_options(f.get("http_options"), &f.path("http_options"))?;
    let base = Expose {
        port: port_value,
        external_port,
        proto,
        service: String::new(),
        global: false,
        hosts,
        ip: String::new(),
        http_options,
    };
    let Some(to) = f.get("to") else {
        return Ok(vec![base]);
    };
    let to_items = items(to, &f.path("to"))?;
    if to_items.is_empty() {
        return Ok(vec![base]);
    }
    let mut out = Vec::with_capacity(to_items.len());
    for (i, item) in to_items.iter().enumerate() {
        let to_path = format!("{}[{i}]", f.path("to"));
        let t = Fields::read(item, &to_path, &["service", "global", "ip"])?;
        let service = t.get("service").map(|n| text(n, &t.path("service"))).transpose()?.unwrap_or("");
        let global = t.get("global").map(|n| boolean(n, &t.path("global"))).transpose()?.unwrap_or(false);
        let ip = t.get("ip").map(|n| text(n, &t.path("ip"))).transpose()?.unwrap_or("");
        if !ip.is_empty() && !global {
            return Err(rule(&t.path("ip"), item.loc(), "an `ip` endpoint requires `global: true`"));
        }
        out.push(Expose { service: service.to_string(), global, ip: ip.to_string(), ..base.clone() });
    }
    Ok(out)
}

const HTTP_FIELDS: &[&str] =
    &["max_body_size", "read_timeout", "send_timeout", "next_tries", "next_timeout", "next_cases", "proxy_buffer_size"];
const NEXT_CASES: &[&str] = &["error", "timeout", "500", "502", "503", "504", "403", "404", "429", "off"];

/// `http_options` with Akash's defaults and limits (`v2HTTPOptions.asManifest`).
fn read_http_options(node: Option<&Node>, path: &str) -> Result<HttpOptions, SdlError> {
    let mut out = HttpOptions {
        max_body_size: 1_048_576,
        read_timeout: 60_000,
        send_timeout: 60_000,
        next_tries: 3,
        next_timeout: 0,
        next_cases: vec!["error".into(), "timeout".into()],
        proxy_buffer_size: 0,
    };
    let Some(node) = node else {
        return Ok(out);
    };
    let f = Fields::read(node, path, HTTP_FIELDS)?;
    // (field, limit, target); 0 keeps the default, as in Akash.
    let limited: [(&str, u32, &mut u32); 6] = [
        ("max_body_size", 104_857_600, &mut out.max_body_size),
        ("read_timeout", 60_000, &mut out.read_timeout),
        ("send_timeout", 60_000, &mut out.send_timeout),
        ("next_tries", u32::MAX, &mut out.next_tries),
        ("next_timeout", u32::MAX, &mut out.next_timeout),
        ("proxy_buffer_size", 1_048_576, &mut out.proxy_buffer_size),
    ];
    for (name, max, target) in limited {
        if let Some(n) = f.get(name) {
            let value = uint32(n, &f.path(name), max)?;
            if value != 0 || name == "next_timeout" || name == "proxy_buffer_size" {
                *target = value;
            }
        }
    }
    if let Some(n) = f.get("next_cases") {
        let cases = string_list(n, &f.path("next_cases"))?;
        if !cases.is_empty() {
            if let Some(bad) = cases.iter().find(|c| !NEXT_CASES.contains(&c.as_str())) {
                return Err(invalid(
                    &f.path("next_cases"),
                    n.loc(),
                    bad,
                    format!("is not one of {}", NEXT_CASES.join(", ")),
                ));
            }
            if cases.len() > 1 && cases.iter().any(|c| c == "off") {
                return Err(rule(&f.path("next_cases"), n.loc(), "`off` excludes every other case"));
            }
            out.next_cases = cases;
        }
    }
    Ok(out)
}

fn read_params(node: &Node, path: &str) -> Result<ServiceParams, SdlError> {
    let f = Fields::read(node, path, &["storage", "permissions", "tee"])?;
    let mut storage = BTreeMap::new();
    if let Some(s) = f.get("storage") {
        for (key, value) in entries(s, &f.path("storage"))? {
            let vol_path = join(&f.path("storage"), &key.text);
            let v = Fields::read(value, &vol_path, &["mount", "readOnly"])?;
            let mount_node = v.required("mount")?;
            let mount = text(mount_node, &v.path("mount"))?;
            if !mount.starts_with('/') {
                return Err(invalid(&v.path("mount"), mount_node.loc(), mount, "is not an absolute path"));
            }
            let read_only = v.get("readOnly").map(|n| boolean(n, &v.path("readOnly"))).transpose()?.unwrap_or(false);
            storage.insert(key.text.clone(), StorageMount { mount: mount.to_string(), read_only });
        }
    }
    let permissions = match f.get("permissions") {
        Some(p) => {
            let perm = Fields::read(p, &f.path("permissions"), &["read"])?;
            let mut read = Vec::new();
            if let Some(r) = perm.get("read") {
                for (i, item) in items(r, &perm.path("read"))?.iter().enumerate() {
                    let item_path = format!("{}[{i}]", perm.path("read"));
                    let value = text(item, &item_path)?;
                    if !matches!(value, "deployment" | "logs" | "events") {
                        return Err(invalid(&item_path, item.loc(), value, "is not one of deployment, logs, events"));
                    }
                    read.push(value.to_string());
                }
            }
            Some(read)
        }
        None => None,
    };
    let tee = match f.get("tee") {
        Some(t) => {
            let value = text(t, &f.path("tee"))?;
            if !matches!(value, "cpu" | "cpu-gpu") {
                return Err(invalid(&f.path("tee"), t.loc(), value, "is not a TEE type (cpu or cpu-gpu)"));
            }
            Some(value.to_string())
        }
        None => None,
    };
    Ok(ServiceParams { storage, permissions, tee })
}

fn read_credentials(node: &Node, path: &str) -> Result<Credentials, SdlError> {
    let f = Fields::read(node, path, &["host", "email", "username", "password"])?;
    let required = |name: &str| non_blank(f.required(name)?, &f.path(name)).map(|s| s.trim().to_string());
    let email = f.get("email").map(|n| text(n, &f.path("email"))).transpose()?.unwrap_or("").trim().to_string();
    Ok(Credentials { host: required("host")?, email, username: required("username")?, password: required("password")? })
}

fn read_compute(node: &Node, path: &str) -> Result<ComputeProfile, SdlError> {
    let profile = Fields::read(node, path, &["resources"])?;
    let res_node = profile.required("resources")?;
    let r = Fields::read(res_node, &profile.path("resources"), &["cpu", "memory", "storage", "gpu"])?;

    let cpu_node = r.required("cpu")?;
    let cpu = Fields::read(cpu_node, &r.path("cpu"), &["units", "attributes"])?;
    if let Some(attrs) = cpu.get("attributes") {
        return Err(SdlError::new(
            cpu.path("attributes"),
            attrs.loc(),
            SdlErrorKind::Unsupported {
                feature: "CPU attributes".into(),
                reason: "the market's resource units carry none; require e.g. `arch` as a placement attribute".into(),
            },
        ));
    }
    let units = cpu.required("units")?;
    let units_path = cpu.path("units");
    let units_text = text(units, &units_path)?;
    let cpu_millis = parse_cpu(units_text).map_err(|p| invalid(&units_path, units.loc(), units_text, p))?;

    let memory = Fields::read(r.required("memory")?, &r.path("memory"), &["size"])?;
    let size = memory.required("size")?;
    let size_path = memory.path("size");
    let size_text = text(size, &size_path)?;
    let memory_bytes = parse_bytes(size_text).map_err(|p| invalid(&size_path, size.loc(), size_text, p))?;

    let storage_node = r.required("storage")?;
    let storage = read_storage(storage_node, &r.path("storage"))?;

    let gpu_path = r.path("gpu");
    let (gpu_units, gpu_models, gpu_loc) = match r.get("gpu") {
        Some(g) => {
            let (units, models) = read_gpu(g, &gpu_path)?;
            (units, models, g.loc())
        }
        None => (0, Vec::new(), res_node.loc()),
    };

    Ok(ComputeProfile {
        cpu_millis,
        memory_bytes,
        storage,
        gpu_units,
        gpu_models,
        site: Site::new(path, node.loc()),
        cpu_site: Site::new(units_path, units.loc()),
        memory_site: Site::new(size_path, size.loc()),
        storage_site: Site::new(r.path("storage"), storage_node.loc()),
        gpu_site: Site::new(gpu_path, gpu_loc),
    })
}

/// One volume or a list of them (`go/sdl/storage.go`).
fn read_storage(node: &Node, path: &str) -> Result<Vec<Volume>, SdlError> {
    let volumes: Vec<(String, &Node)> = match &node.kind {
        Kind::Map(_) => vec![(path.to_string(), node)],
        Kind::Seq(list) => list.iter().enumerate().map(|(i, n)| (format!("{path}[{i}]"), n)).collect(),
        _ => return Err(wrong_type(path, node, "a mapping or a list of volumes")),
    };
    if volumes.is_empty() {
        return Err(rule(path, node.loc(), "at least one storage volume is required"));
    }
    let mut out: Vec<Volume> = Vec::with_capacity(volumes.len());
    for (vol_path, vol) in volumes {
        let f = Fields::read(vol, &vol_path, &["name", "size", "attributes"])?;
        let name = match f.get("name") {
            Some(n) => non_blank(n, &f.path("name"))?,
            None => "default".to_string(),
        };
        if out.iter().any(|v| v.name == name) {
            return Err(rule(&vol_path, vol.loc(), format!("duplicate volume name {name:?}")));
        }
        let size = f.required("size")?;
        let size_text = text(size, &f.path("size"))?;
        let size_bytes = parse_bytes(size_text).map_err(|p| invalid(&f.path("size"), size.loc(), size_text, p))?;
        let (class, persistent) = match f.get("attributes") {
            Some(a) => read_storage_attributes(a, &f.path("attributes"))?,
            None => (None, false),
        };
        out.push(Volume { name, size_bytes, class, persistent, site: Site::new(vol_path, vol.loc()) });
    }
    Ok(out)
}

/// `persistent` defaults to false; a persistent volume without a class gets `default`; `ram`
/// must not be persistent and every other class must be (Akash's `v2StorageAttributes`).
fn read_storage_attributes(node: &Node, path: &str) -> Result<(Option<String>, bool), SdlError> {
    let f = Fields::read(node, path, &["persistent", "class"])?;
    let persistent = f.get("persistent").map(|n| boolean(n, &f.path("persistent"))).transpose()?.unwrap_or(false);
    let class = f.get("class").map(|n| text(n, &f.path("class")).map(|c| (c, n.loc()))).transpose()?;
    match class {
        None => Ok((persistent.then(|| "default".to_string()), persistent)),
        Some((c, loc)) => {
            let class_path = f.path("class");
            if !leasehold_types::resources::STORAGE_CLASSES.contains(&c) {
                return Err(invalid(&class_path, loc, c, "is not a storage class (default, beta1, beta2, beta3, ram)"));
            }
            if c == "ram" && persistent {
                return Err(rule(&class_path, loc, "`ram` storage cannot be persistent"));
            }
            if c != "ram" && !persistent {
                return Err(rule(&class_path, loc, format!("storage class {c:?} requires `persistent: true`")));
            }
            Ok((Some(c.to_string()), persistent))
        }
    }
}

/// `gpu: {units, attributes: {vendor: {nvidia: [{model, ram, interface}]}}}` (`go/sdl/gpu.go`).
fn read_gpu(node: &Node, path: &str) -> Result<(u32, Vec<GpuModel>), SdlError> {
    let f = Fields::read(node, path, &["units", "attributes"])?;
    let units = f.get("units").map(|n| uint32(n, &f.path("units"), u32::MAX)).transpose()?.unwrap_or(0);
    let Some(attrs) = f.get("attributes") else {
        if units > 0 {
            return Err(rule(
                &f.path("attributes"),
                node.loc(),
                "GPU units above 0 require attributes naming the vendor and acceptable models, \
                 e.g. `attributes: {vendor: {nvidia: [{model: h100}]}}`",
            ));
        }
        return Ok((0, Vec::new()));
    };
    if units == 0 {
        let loc = f.get("units").map_or(node.loc(), Node::loc);
        return Err(rule(&f.path("units"), loc, "GPU attributes require at least one GPU unit"));
    }
    let a = Fields::read(attrs, &f.path("attributes"), &["vendor"])?;
    let vendor_node = a.required("vendor")?;
    let vendor_path = a.path("vendor");
    let vendors = entries(vendor_node, &vendor_path)?;
    if vendors.is_empty() {
        return Err(rule(&vendor_path, vendor_node.loc(), "name a GPU vendor (nvidia)"));
    }
    let mut models: Vec<GpuModel> = Vec::new();
    for (key, list) in vendors {
        let list_path = join(&vendor_path, &key.text);
        if key.text != "nvidia" {
            return Err(SdlError::new(
                list_path,
                key.loc,
                SdlErrorKind::Unsupported {
                    feature: format!("GPU vendor {:?}", key.text),
                    reason: "Akash's SDL defines only `nvidia`".into(),
                },
            ));
        }
        let entries = items(list, &list_path)?;
        if entries.is_empty() {
            // No model listed: any model of the vendor (Akash: `vendor/nvidia/model/*`).
            models.push(GpuModel { vendor: key.text.clone(), model: "*".into(), ram: None, interface: None });
        }
        for (i, item) in entries.iter().enumerate() {
            let item_path = format!("{list_path}[{i}]");
            let m = Fields::read(item, &item_path, &["model", "ram", "interface"])?;
            let model = non_blank(m.required("model")?, &m.path("model"))?;
            let ram = match m.get("ram") {
                Some(n) => {
                    let value = text(n, &m.path("ram"))?;
                    Some(parse_gpu_ram(value).map_err(|p| invalid(&m.path("ram"), n.loc(), value, p))?)
                }
                None => None,
            };
            let interface = match m.get("interface") {
                Some(n) => {
                    let value = text(n, &m.path("interface"))?;
                    if !matches!(value, "pcie" | "sxm") {
                        return Err(invalid(
                            &m.path("interface"),
                            n.loc(),
                            value,
                            "is not a GPU interface (pcie or sxm)",
                        ));
                    }
                    Some(value.to_string())
                }
                None => None,
            };
            let gpu = GpuModel { vendor: key.text.clone(), model, ram, interface };
            if models.contains(&gpu) {
                return Err(rule(&item_path, item.loc(), "the same GPU model is listed twice"));
            }
            models.push(gpu);
        }
    }
    Ok((units, models))
}

fn read_placement(
    node: &Node,
    path: &str,
    site: Site,
    compute: &BTreeMap<String, ComputeProfile>,
) -> Result<Placement, SdlError> {
    let f = Fields::read(node, path, &["attributes", "signedBy", "pricing"])?;
    let mut attributes = Vec::new();
    if let Some(a) = f.get("attributes") {
        for (key, value) in entries(a, &f.path("attributes"))? {
            let attr_path = join(&f.path("attributes"), &key.text);
            if let Err(ValidationError::InvalidAttributeKey { reason, .. }) = validate_key(&attr_path, &key.text, true)
            {
                return Err(invalid(&attr_path, key.loc, &key.text, format!("is not a valid attribute key: {reason}")));
            }
            let value = text(value, &attr_path)?;
            attributes.push((key.text.clone(), value.to_string(), Site::new(attr_path, key.loc)));
        }
    }
    attributes.sort_by(|a, b| a.0.cmp(&b.0));

    let (mut all_of, mut any_of) = (Vec::new(), Vec::new());
    let mut signed_by_site = site.clone();
    if let Some(s) = f.get("signedBy") {
        signed_by_site = Site::new(f.path("signedBy"), s.loc());
        let sb = Fields::read(s, &f.path("signedBy"), &["allOf", "anyOf"])?;
        for (name, target) in [("allOf", &mut all_of), ("anyOf", &mut any_of)] {
            if let Some(list) = sb.get(name) {
                for (i, item) in items(list, &sb.path(name))?.iter().enumerate() {
                    let item_path = format!("{}[{i}]", sb.path(name));
                    let auditor = text(item, &item_path)?;
                    if auditor.is_empty() || !auditor.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        return Err(invalid(&item_path, item.loc(), auditor, "is not an auditor address"));
                    }
                    target.push(auditor.to_string());
                }
            }
        }
    }

    let pricing_node = f.required("pricing")?;
    let pricing_path = f.path("pricing");
    let mut pricing = BTreeMap::new();
    for (key, value) in entries(pricing_node, &pricing_path)? {
        let price_path = join(&pricing_path, &key.text);
        if !compute.contains_key(&key.text) {
            return Err(SdlError::new(
                price_path,
                key.loc,
                SdlErrorKind::UnknownReference { what: "compute profile", name: key.text.clone() },
            ));
        }
        let p = Fields::read(value, &price_path, &["denom", "amount"])?;
        let denom_node = p.required("denom")?;
        let denom = text(denom_node, &p.path("denom"))?;
        if !is_denom(denom) {
            return Err(invalid(&p.path("denom"), denom_node.loc(), denom, "is not a denom (e.g. ulease or uusdc)"));
        }
        let amount_node = p.required("amount")?;
        let amount_path = p.path("amount");
        let amount = text(amount_node, &amount_path)?;
        let well_formed = amount.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && amount.bytes().filter(|b| *b == b'.').count() <= 1
            && amount.as_bytes().first().is_some_and(u8::is_ascii_digit)
            && amount.as_bytes().last().is_some_and(u8::is_ascii_digit);
        let value = if well_formed { Decimal256::from_str(amount).ok() } else { None }.ok_or_else(|| {
            invalid(&amount_path, amount_node.loc(), amount, "is not a decimal amount (at most 18 decimal places)")
        })?;
        if value.is_zero() {
            return Err(invalid(&amount_path, amount_node.loc(), amount, "must be more than 0"));
        }
        pricing.insert(
            key.text.clone(),
            Price { coin: DecCoin::new(value, denom), site: Site::new(amount_path, amount_node.loc()) },
        );
    }
    Ok(Placement { attributes, all_of, any_of, pricing, site, signed_by_site })
}

fn read_deployments(
    node: &Node,
    services: &BTreeMap<String, Service>,
    compute: &BTreeMap<String, ComputeProfile>,
    placements: &BTreeMap<String, Placement>,
) -> Result<Vec<ServiceDeployment>, SdlError> {
    let mut out = Vec::new();
    for (svc_key, by_placement) in entries(node, "deployment")? {
        let svc_path = join("deployment", &svc_key.text);
        if !services.contains_key(&svc_key.text) {
            return Err(SdlError::new(
                svc_path,
                svc_key.loc,
                SdlErrorKind::UnknownReference { what: "service", name: svc_key.text.clone() },
            ));
        }
        let placement_entries = entries(by_placement, &svc_path)?;
        if placement_entries.is_empty() {
            return Err(rule(&svc_path, by_placement.loc(), "name at least one placement to deploy the service to"));
        }
        for (pl_key, value) in placement_entries {
            let path = join(&svc_path, &pl_key.text);
            let Some(placement) = placements.get(&pl_key.text) else {
                return Err(SdlError::new(
                    path,
                    pl_key.loc,
                    SdlErrorKind::UnknownReference { what: "placement profile", name: pl_key.text.clone() },
                ));
            };
            let f = Fields::read(value, &path, &["profile", "count"])?;
            let profile_node = f.required("profile")?;
            let profile = text(profile_node, &f.path("profile"))?;
            if !compute.contains_key(profile) {
                return Err(SdlError::new(
                    f.path("profile"),
                    profile_node.loc(),
                    SdlErrorKind::UnknownReference { what: "compute profile", name: profile.to_string() },
                ));
            }
            if !placement.pricing.contains_key(profile) {
                let pricing_path = format!("{}.pricing", placement.site.path);
                return Err(SdlError::new(
                    pricing_path,
                    placement.site.loc,
                    SdlErrorKind::MissingPricing { placement: pl_key.text.clone(), profile: profile.to_string() },
                ));
            }
            let count_node = f.required("count")?;
            let count = uint32(count_node, &f.path("count"), u32::MAX)?;
            if count == 0 {
                return Err(invalid(&f.path("count"), count_node.loc(), "0", "must be at least 1"));
            }
            out.push(ServiceDeployment {
                service: svc_key.text.clone(),
                placement: pl_key.text.clone(),
                profile: profile.to_string(),
                count,
                count_site: Site::new(f.path("count"), count_node.loc()),
            });
        }
    }
    if out.is_empty() {
        return Err(rule("deployment", node.loc(), "deploy at least one service"));
    }
    out.sort_by(|a, b| (&a.service, &a.placement).cmp(&(&b.service, &b.placement)));
    Ok(out)
}

/// Rules that tie a deployed service to its compute profile, placement and the endpoints
/// section (Akash's `v2.validate` and the manifest's validation), and the IP endpoint numbering.
fn check_deployed_services(sdl: &mut Sdl, declared: &BTreeMap<String, Site>) -> Result<(), SdlError> {
    let mut used_ips = BTreeSet::new();
    let mut ports_on_ip: BTreeMap<(String, u32, Proto), String> = BTreeMap::new();
    let mut hostnames: BTreeMap<&str, &str> = BTreeMap::new();
    let mut tee_by_placement: BTreeMap<&str, &str> = BTreeMap::new();
    let mut seen_services = BTreeSet::new();

    for d in &sdl.deployments {
        let (Some(service), Some(profile)) = (sdl.services.get(&d.service), sdl.compute.get(&d.profile)) else {
            continue; // resolved by read_deployments
        };

        // Storage mounts: existing volumes, absolute and unique mounts, persistent ones mounted.
        let mounts = service.params.as_ref().map(|p| &p.storage);
        let mut mount_points = BTreeMap::new();
        for (vol, m) in mounts.into_iter().flatten() {
            let path = format!("{}.params.storage.{vol}", service.site.path);
            if !profile.storage.iter().any(|v| &v.name == vol) {
                return Err(SdlError::new(
                    path,
                    service.site.loc,
                    SdlErrorKind::UnknownReference {
                        what: "storage volume in the service's compute profile",
                        name: vol.clone(),
                    },
                ));
            }
            if let Some(other) = mount_points.insert(m.mount.as_str(), vol.as_str()) {
                return Err(rule(
                    &path,
                    service.site.loc,
                    format!("mount {:?} is already used by volume {other:?}", m.mount),
                ));
            }
        }
        for v in profile.storage.iter().filter(|v| v.persistent) {
            if !mounts.is_some_and(|m| m.contains_key(&v.name)) {
                return Err(rule(
                    &format!("{}.params.storage", service.site.path),
                    service.site.loc,
                    format!(
                        "persistent volume {:?} of compute profile {:?} must be mounted (params.storage.{}.mount)",
                        v.name, d.profile, v.name
                    ),
                ));
            }
        }

        // TEE: cpu-gpu needs GPUs; one TEE type per placement.
        if let Some(tee) = service.params.as_ref().and_then(|p| p.tee.as_deref()) {
            let site = &service.tee_site;
            if tee == "cpu-gpu" && profile.gpu_units == 0 {
                return Err(rule(&site.path, site.loc, "TEE type cpu-gpu requires GPU resources"));
            }
            if let Some(other) = tee_by_placement.insert(&d.placement, tee)
                && other != tee
            {
                return Err(rule(
                    &site.path,
                    site.loc,
                    format!("placement {:?} mixes TEE types {other:?} and {tee:?}", d.placement),
                ));
            }
        }

        if !seen_services.insert(d.service.as_str()) {
            continue; // the checks below are about the service alone
        }
        for e in &service.expose {
            let site = &service.expose_site;
            if !e.service.is_empty() && !sdl.services.contains_key(&e.service) {
                return Err(SdlError::new(
                    site.path.clone(),
                    site.loc,
                    SdlErrorKind::UnknownReference { what: "service", name: e.service.clone() },
                ));
            }
            if !e.ip.is_empty() {
                if !declared.contains_key(&e.ip) {
                    return Err(SdlError::new(
                        site.path.clone(),
                        site.loc,
                        SdlErrorKind::UnknownReference { what: "endpoint", name: e.ip.clone() },
                    ));
                }
                used_ips.insert(e.ip.clone());
                let key = (e.ip.clone(), e.effective_external_port(), e.proto);
                if let Some(other) = ports_on_ip.insert(key, d.service.clone()) {
                    return Err(rule(
                        &site.path,
                        site.loc,
                        format!(
                            "port {} ({}) of endpoint {:?} is already used by service {other:?}",
                            e.effective_external_port(),
                            e.proto.as_str(),
                            e.ip
                        ),
                    ));
                }
            }
        }
        let mut own_hosts = BTreeSet::new();
        for host in service.expose.iter().flat_map(|e| e.hosts.iter()) {
            if !own_hosts.insert(host.as_str()) {
                continue; // one expose with several `to` repeats its hosts
            }
            if let Some(other) = hostnames.insert(host, &d.service) {
                let site = &service.expose_site;
                return Err(rule(
                    &site.path,
                    site.loc,
                    format!("hostname {host:?} is also accepted by service {other:?}"),
                ));
            }
        }
    }

    if let Some((name, site)) = declared.iter().find(|(name, _)| !used_ips.contains(*name)) {
        return Err(rule(
            &site.path,
            site.loc,
            format!("endpoint {name:?} is declared but no deployed service uses it"),
        ));
    }
    sdl.ip_endpoints = used_ips.into_iter().zip(1u32..).collect();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        assert!(is_service_name("web"));
        assert!(is_service_name("llm-1"));
        assert!(!is_service_name("Web"));
        assert!(!is_service_name("web-"));
        assert!(!is_service_name("1web"));
        assert!(is_hostname("api.example.com"));
        assert!(!is_hostname("API.example.com"));
        assert!(!is_hostname("a..b"));
        assert!(!is_hostname("-a.b"));
        assert!(is_env_name("MODEL_ID"));
        assert!(!is_env_name("1X"));
        assert!(!is_env_name(""));
        assert!(is_denom("ulease"));
        assert!(is_denom("ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"));
        assert!(!is_denom("u"));
        assert!(!is_denom("1abc"));
        assert!(is_endpoint_name("myip"));
        assert!(!is_endpoint_name("a"));
        assert!(!is_endpoint_name("My-ip"));
    }
}
