//! The manifest — what providers run and what the deployment's on-chain `hash` commits to — and
//! its canonical JSON writer. The content and the canonical form are specified in the
//! [`sdl` module docs](super#manifest-and-hash).
//!
//! The writer is hand-rolled so the bytes cannot change with a JSON library's feature flags
//! (e.g. `serde_json/preserve_order` switched on elsewhere in the workspace).

use std::collections::BTreeMap;

use leasehold_types::resources::{EndpointKind, GroupSpec};
use sha2::{Digest, Sha256};

use super::groups::{PlannedGroup, group_spec};
use super::model::{Expose, Sdl};

/// A JSON value whose objects are always written with sorted keys.
enum Json {
    Null,
    Bool(bool),
    Int(u64),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<&'static str, Json>),
}

impl Json {
    fn str(s: &str) -> Self {
        Self::Str(s.to_string())
    }

    fn strs(list: &[String]) -> Self {
        Self::Arr(list.iter().map(|s| Self::str(s)).collect())
    }

    fn opt_str(s: Option<&str>) -> Self {
        s.map_or(Self::Null, Self::str)
    }

    fn obj<const N: usize>(fields: [(&'static str, Json); N]) -> Self {
        Self::Obj(fields.into_iter().collect())
    }

    fn write(&self, out: &mut String) {
        match self {
            Self::Null => out.push_str("null"),
            Self::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Self::Int(n) => out.push_str(&n.to_string()),
            Self::Str(s) => write_str(s, out),
            Self::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Self::Obj(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(key, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn endpoint_kind(kind: EndpointKind) -> &'static str {
    match kind {
        EndpointKind::SharedHttp => "shared_http",
        EndpointKind::RandomPort => "random_port",
        EndpointKind::LeasedIp => "leased_ip",
    }
}

fn spec_json(spec: &GroupSpec) -> [(&'static str, Json); 2] {
    let requirements = Json::obj([
        (
            "attributes",
            Json::Arr(
                spec.requirements
                    .attributes
                    .iter()
                    .map(|a| Json::obj([("key", Json::str(&a.key)), ("value", Json::str(&a.value))]))
                    .collect(),
            ),
        ),
        (
            "signed_by",
            Json::obj([
                ("all_of", Json::strs(&spec.requirements.signed_by.all_of)),
                ("any_of", Json::strs(&spec.requirements.signed_by.any_of)),
            ]),
        ),
    ]);
    let units = spec
        .resources
        .iter()
        .map(|u| {
            Json::obj([
                ("id", Json::Int(u.id.into())),
                ("count", Json::Int(u.count.into())),
                ("cpu_millis", Json::Int(u.cpu_millis)),
                ("memory_bytes", Json::Int(u.memory_bytes)),
                (
                    "storage",
                    Json::Arr(
                        u.storage
                            .iter()
                            .map(|v| {
                                Json::obj([
                                    ("name", Json::str(&v.name)),
                                    ("size_bytes", Json::Int(v.size_bytes)),
                                    ("class", Json::opt_str(v.class.as_deref())),
                                    ("persistent", Json::Bool(v.persistent)),
                                ])
                            })
                            .collect(),
                    ),
                ),
                (
                    "gpu",
                    Json::obj([
                        ("units", Json::Int(u.gpu.units.into())),
                        (
                            "models",
                            Json::Arr(
                                u.gpu
                                    .models
                                    .iter()
                                    .map(|m| {
                                        Json::obj([
                                            ("vendor", Json::str(&m.vendor)),
                                            ("model", Json::str(&m.model)),
                                            ("ram", Json::opt_str(m.ram.as_deref())),
                                            ("interface", Json::opt_str(m.interface.as_deref())),
                                        ])
                                    })
                                    .collect(),
                            ),
                        ),
                    ]),
                ),
                (
                    "endpoints",
                    Json::Arr(
                        u.endpoints
                            .iter()
                            .map(|e| {
                                Json::obj([
                                    ("kind", Json::str(endpoint_kind(e.kind))),
                                    ("sequence_number", Json::Int(e.sequence_number.into())),
                                ])
                            })
                            .collect(),
                    ),
                ),
                (
                    "price",
                    Json::obj([
                        ("amount", Json::Str(u.price.amount.to_string())),
                        ("denom", Json::str(&u.price.denom)),
                    ]),
                ),
            ])
        })
        .collect();
    [("requirements", requirements), ("resources", Json::Arr(units))]
}

fn expose_json(sdl: &Sdl, e: &Expose) -> Json {
    let sequence = if e.global && !e.ip.is_empty() { sdl.ip_endpoints.get(&e.ip).copied().unwrap_or(0) } else { 0 };
    let h = &e.http_options;
    Json::obj([
        ("port", Json::Int(e.port.into())),
        ("external_port", Json::Int(e.external_port.into())),
        ("proto", Json::str(e.proto.as_str())),
        ("service", Json::str(&e.service)),
        ("global", Json::Bool(e.global)),
        ("hosts", Json::strs(&e.hosts)),
        ("ip", Json::str(&e.ip)),
        ("endpoint_sequence_number", Json::Int(sequence.into())),
        (
            "http_options",
            Json::obj([
                ("max_body_size", Json::Int(h.max_body_size.into())),
                ("read_timeout", Json::Int(h.read_timeout.into())),
                ("send_timeout", Json::Int(h.send_timeout.into())),
                ("next_tries", Json::Int(h.next_tries.into())),
                ("next_timeout", Json::Int(h.next_timeout.into())),
                ("next_cases", Json::strs(&h.next_cases)),
                ("proxy_buffer_size", Json::Int(h.proxy_buffer_size.into())),
            ]),
        ),
    ])
}

fn group_json(sdl: &Sdl, group: &PlannedGroup<'_>) -> Json {
    let services = group
        .services
        .iter()
        .map(|s| {
            let svc = s.service;
            let params = svc.params.as_ref().map_or(Json::Null, |p| {
                Json::obj([
                    (
                        "storage",
                        Json::Arr(
                            p.storage
                                .iter()
                                .map(|(name, m)| {
                                    Json::obj([
                                        ("name", Json::str(name)),
                                        ("mount", Json::str(&m.mount)),
                                        ("read_only", Json::Bool(m.read_only)),
                                    ])
                                })
                                .collect(),
                        ),
                    ),
                    (
                        "permissions",
                        p.permissions.as_ref().map_or(Json::Null, |r| Json::obj([("read", Json::strs(r))])),
                    ),
                    ("tee", Json::opt_str(p.tee.as_deref())),
                ])
            });
            let credentials = svc.credentials.as_ref().map_or(Json::Null, |c| {
                Json::obj([
                    ("host", Json::str(&c.host)),
                    ("email", Json::str(&c.email)),
                    ("username", Json::str(&c.username)),
                    ("password", Json::str(&c.password)),
                ])
            });
            Json::obj([
                ("name", Json::str(s.name)),
                ("image", Json::str(&svc.image)),
                ("command", Json::strs(&svc.command)),
                ("args", Json::strs(&svc.args)),
                ("env", Json::strs(&svc.env)),
                ("count", Json::Int(s.count.into())),
                ("resource_id", Json::Int(s.unit_id.into())),
                ("expose", Json::Arr(svc.expose.iter().map(|e| expose_json(sdl, e)).collect())),
                ("params", params),
                ("credentials", credentials),
            ])
        })
        .collect();
    let [requirements, resources] = spec_json(&group_spec(group));
    Json::obj([("name", Json::str(group.name)), requirements, resources, ("services", Json::Arr(services))])
}

impl Sdl {
    /// The manifest in canonical JSON (see the [module docs](super#manifest-and-hash)): the bytes
    /// [`Sdl::manifest_hash`] hashes, and what a tenant sends to the provider that wins the lease.
    pub fn manifest_json(&self) -> String {
        let manifest = Json::Arr(self.plan().iter().map(|g| group_json(self, g)).collect());
        let mut out = String::new();
        manifest.write(&mut out);
        out
    }

    /// SHA-256 of [`Sdl::manifest_json`]: the deployment's `hash` on chain.
    pub fn manifest_hash(&self) -> [u8; 32] {
        Sha256::digest(self.manifest_json().as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form() {
        let mut fields = BTreeMap::new();
        fields.insert("b", Json::Arr(vec![Json::Int(1), Json::Null, Json::Bool(false)]));
        fields.insert("a", Json::str("q\"\\\n\t\u{1}é/"));
        let mut out = String::new();
        Json::Obj(fields).write(&mut out);
        assert_eq!(out, "{\"a\":\"q\\\"\\\\\\n\\t\\u0001é/\",\"b\":[1,null,false]}");
    }
}
