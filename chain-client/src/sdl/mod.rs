//! Akash SDL (Stack Definition Language) v2.0 / v2.1: parsing, mapping to the market's group
//! specs, and the manifest hash.
//!
//! ```
//! use leasehold_client::sdl::parse_sdl;
//!
//! let yaml = r#"
//! version: "2.1"
//! services:
//!   web:
//!     image: nginx:1.27
//!     expose:
//!       - port: 80
//!         to: [{global: true}]
//! profiles:
//!   compute:
//!     web:
//!       resources:
//!         cpu: {units: 0.5}
//!         memory: {size: 512Mi}
//!         storage: {size: 1Gi}
//!   placement:
//!     dc:
//!       pricing:
//!         web: {denom: ulease, amount: 100}
//! deployment:
//!   web:
//!     dc: {profile: web, count: 2}
//! "#;
//! let sdl = parse_sdl(yaml).unwrap();
//! let groups = sdl.group_specs().unwrap();
//! assert_eq!(groups[0].name, "dc");
//! assert_eq!(groups[0].resources[0].cpu_millis, 500);
//! let _hash: [u8; 32] = sdl.manifest_hash();
//! ```
//!
//! # Public API
//!
//! - [`parse_sdl`] reads the YAML and checks the SDL's own rules (structure, quantities,
//!   references between sections).
//! - [`Sdl::group_specs`] maps it to `leasehold_types::resources::GroupSpec`s and runs the market
//!   contract's validation (`validate_groups`) on them.
//! - [`Sdl::manifest_hash`] / [`Sdl::manifest_json`]: the canonical manifest and its SHA-256 (see
//!   [Manifest and hash](#manifest-and-hash)).
//! - [`SdlError`]: every failure, with the field path and the 1-based line and column.
//!
//! # Accepted input
//!
//! `version` (`"2.0"` or `"2.1"`), `services`, `profiles.compute`, `profiles.placement`,
//! `deployment`, optional `endpoints` (leased IPs), and an empty `include`. Unknown fields are
//! errors at every level, as in Akash's input schema. YAML anchors and aliases work; a file must
//! hold exactly one document and no duplicate keys.
//!
//! Refused although Akash accepts them (each with an `Unsupported` error): `reclamation` (the
//! market has no reclamation windows), a non-empty `include`, `cpu.attributes` (the market's
//! units carry no CPU attributes; use a placement attribute), GPU vendors other than `nvidia`
//! (Akash's parser silently ignores them, which turns the request into "any NVIDIA GPU").
//!
//! # Mapping (Akash's group builder, `go/sdl/groupBuilder_v2_1.go`)
//!
//! | SDL | group spec |
//! |---|---|
//! | each placement used by `deployment` | one `GroupSpec`, `name` = placement name, groups sorted by name |
//! | `profiles.placement.<p>.attributes` | `requirements.attributes`, sorted by key; a deployed service's `params.tee` adds `tee/type=<cpu\|cpu-gpu>` |
//! | `profiles.placement.<p>.signedBy.{allOf,anyOf}` | `requirements.signed_by.{all_of,any_of}` |
//! | v2.1: each compute profile used in the placement | one `ResourceUnit`; `count` = sum of the services' counts |
//! | v2.0: each `deployment.<svc>.<p>` | one `ResourceUnit` with that count |
//! | unit ids | 1, 2, ... in the order services (by name) first use them |
//! | `cpu.units` | `cpu_millis`: `500m` = 500, `0.5` = 500, `2` = 2000 |
//! | `memory.size`, `storage[].size` | bytes; suffixes `k M G T P E` (x1000) and `Ki Mi Gi Ti Pi Ei` (x1024) |
//! | `storage` (one mapping or a list) | `storage` volumes, named `default` unless `name` is set; `persistent` defaults to false, persistent without `class` gets `default`, `ram` must not be persistent, other classes must be |
//! | `gpu.units` + `attributes.vendor.nvidia: [{model, ram, interface}]` | `gpu.units` + one `GpuModel` per entry (`ram` as whole `<N>Gi`, `interface` `pcie`/`sxm`); an empty list means model `*` — Akash's `vendor/nvidia/model/<m>[/ram/<r>][/interface/<i>]` keys, structured |
//! | `expose` with `to: [{global: true}]` | endpoints: `shared_http` for TCP on external port 80, `random_port` otherwise, plus `leased_ip` (sequence number) when `to.ip` names an endpoint |
//! | `pricing.<profile>.{denom, amount}` | `price` of one replica per block (`DecCoin`) |
//!
//! IP endpoint sequence numbers are 1, 2, ... over the used endpoint names in name order.
//!
//! # Manifest and hash
//!
//! The manifest is what the winning provider runs; the deployment's on-chain `hash` is the
//! SHA-256 of its canonical JSON ([`Sdl::manifest_json`], [`Sdl::manifest_hash`]). It is a JSON
//! array of groups ordered by placement name; each group is an object:
//!
//! ```text
//! { "name", "requirements": {"attributes": [{"key","value"}], "signed_by": {"all_of", "any_of"}},
//!   "resources": [ { "id", "count", "cpu_millis", "memory_bytes",
//!                    "storage": [{"name","size_bytes","class","persistent"}],
//!                    "gpu": {"units", "models": [{"vendor","model","ram","interface"}]},
//!                    "endpoints": [{"kind","sequence_number"}],
//!                    "price": {"amount","denom"} } ],
//!   "services": [ { "name", "image", "command", "args", "env", "count", "resource_id",
//!                   "expose": [{"port","external_port","proto","service","global","hosts","ip",
//!                               "endpoint_sequence_number","http_options": {...}}],
//!                   "params": null | {"storage": [{"name","mount","read_only"}],
//!                                     "permissions": null | {"read"}, "tee"},
//!                   "credentials": null | {"host","email","username","password"} } ] }
//! ```
//!
//! Like Akash's manifest (`manifest/v2beta3`) it lists each group's services with image,
//! command, args, env, replica count, exposes (in Akash's order, with Akash's `http_options`
//! defaults), storage mounts and registry credentials. Unlike Akash it also embeds each group's
//! spec exactly as it goes on chain (placement requirements, units, prices), so the hash commits
//! to every semantic part of the SDL and a provider can check the manifest against the order it
//! won. Service `dependencies` are not part of it (Akash ignores them too), nor are profiles and
//! services that no deployment uses.
//!
//! Canonical form:
//!
//! - objects: keys sorted by their UTF-8 bytes; every key always present (an absent optional
//!   value is `null`, an absent list `[]`);
//! - no whitespace between tokens;
//! - integers in plain decimal; prices as strings in cosmwasm `Decimal256` form (`"1.5"`,
//!   `"100"`: no exponent, no trailing zeros); no floats anywhere;
//! - strings: `"` and `\` escaped with a backslash; U+0008, U+0009, U+000A, U+000C, U+000D as
//!   `\b \t \n \f \r`; other characters below U+0020 as `\u00xx` (lowercase hex); everything
//!   else verbatim UTF-8;
//! - lists in their meaning's order: groups and services by name, units by id, exposes in Akash's
//!   order (target service, port, protocol, global first), storage volumes, `command`, `args`,
//!   `env`, `accept`, `next_cases` and `signedBy` lists as written.
//!
//! So two SDLs that differ only in key order, quoting, flow/block style, comments or equivalent
//! quantity spellings (`0.5` / `500m`) have the same hash; any change to what is deployed changes
//! it.

mod error;
mod groups;
mod manifest;
mod model;
mod parse;
pub(crate) mod quantity;
pub(crate) mod yaml;

pub use error::{Location, SdlError, SdlErrorKind};
pub use model::{Sdl, SdlVersion};
pub use parse::parse_sdl;
