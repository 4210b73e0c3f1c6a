//! The SDL as read from YAML: every section checked, every quantity converted, every reference
//! resolved. Maps are `BTreeMap`s, so nothing depends on the key order of the text.

use std::collections::BTreeMap;

use cosmwasm_std::DecCoin;
use leasehold_types::resources::GpuModel;

use super::error::Location;

/// Where a value came from: its field path and position, for errors raised after parsing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Site {
    pub path: String,
    pub loc: Location,
}

impl Site {
    pub fn new(path: impl Into<String>, loc: Location) -> Self {
        Self { path: path.into(), loc }
    }
}

/// The SDL versions Akash defines. They differ in how services sharing a compute profile in one
/// placement are grouped (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SdlVersion {
    /// `"2.0"`: one resource unit per service deployment.
    V2_0,
    /// `"2.1"`: one resource unit per compute profile within a placement.
    V2_1,
}

impl SdlVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2_0 => "2.0",
            Self::V2_1 => "2.1",
        }
    }
}

/// A parsed, internally consistent SDL. Build it with [`parse_sdl`](super::parse_sdl); map it to
/// the market's group specs with [`Sdl::group_specs`] and hash its manifest with
/// [`Sdl::manifest_hash`].
#[derive(Debug, Clone, PartialEq)]
pub struct Sdl {
    pub(crate) version: SdlVersion,
    pub(crate) services: BTreeMap<String, Service>,
    pub(crate) compute: BTreeMap<String, ComputeProfile>,
    pub(crate) placements: BTreeMap<String, Placement>,
    /// One entry per `deployment.<service>.<placement>`, ordered by service, then placement.
    pub(crate) deployments: Vec<ServiceDeployment>,
    /// Leased-IP endpoint name -> sequence number (1.., in name order).
    pub(crate) ip_endpoints: BTreeMap<String, u32>,
    /// The `deployment` section, for errors about the deployment as a whole.
    pub(crate) deployment_site: Site,
}

impl Sdl {
    /// The `version` the SDL declared.
    pub fn version(&self) -> SdlVersion {
        self.version
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Service {
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<String>,
    /// One entry per `expose[].to[]` (or per `expose[]` without `to`), in Akash's manifest order.
    pub expose: Vec<Expose>,
    pub params: Option<ServiceParams>,
    pub credentials: Option<Credentials>,
    pub site: Site,
    pub expose_site: Site,
    pub tee_site: Site,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tcp => "TCP",
            Self::Udp => "UDP",
        }
    }
}

/// One exposure of a port to one destination (Akash's `manifest.ServiceExpose`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expose {
    pub port: u32,
    /// `as`; 0 when not set (the port itself is used).
    pub external_port: u32,
    pub proto: Proto,
    /// `to.service`, empty when exposed globally or to no one in particular.
    pub service: String,
    pub global: bool,
    pub hosts: Vec<String>,
    /// `to.ip`: a leased-IP endpoint name, empty for none.
    pub ip: String,
    pub http_options: HttpOptions,
}

impl Expose {
    pub fn effective_external_port(&self) -> u32 {
        if self.external_port == 0 { self.port } else { self.external_port }
    }

    /// Akash's `IsIngress`: global TCP on external port 80 is served by the shared HTTP ingress.
    pub fn is_ingress(&self) -> bool {
        self.proto == Proto::Tcp && self.global && self.effective_external_port() == 80
    }
}

/// `http_options` with Akash's defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HttpOptions {
    pub max_body_size: u32,
    pub read_timeout: u32,
    pub send_timeout: u32,
    pub next_tries: u32,
    pub next_timeout: u32,
    pub next_cases: Vec<String>,
    pub proxy_buffer_size: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ServiceParams {
    /// Volume name -> mount.
    pub storage: BTreeMap<String, StorageMount>,
    pub permissions: Option<Vec<String>>,
    pub tee: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StorageMount {
    pub mount: String,
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Credentials {
    pub host: String,
    pub email: String,
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ComputeProfile {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    pub storage: Vec<Volume>,
    pub gpu_units: u32,
    pub gpu_models: Vec<GpuModel>,
    pub site: Site,
    pub cpu_site: Site,
    pub memory_site: Site,
    pub storage_site: Site,
    pub gpu_site: Site,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Volume {
    pub name: String,
    pub size_bytes: u64,
    pub class: Option<String>,
    pub persistent: bool,
    pub site: Site,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Placement {
    /// Sorted by key.
    pub attributes: Vec<(String, String, Site)>,
    pub all_of: Vec<String>,
    pub any_of: Vec<String>,
    /// Compute profile -> price of one replica per block.
    pub pricing: BTreeMap<String, Price>,
    pub site: Site,
    pub signed_by_site: Site,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Price {
    pub coin: DecCoin,
    pub site: Site,
}

/// `deployment.<service>.<placement>: {profile, count}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ServiceDeployment {
    pub service: String,
    pub placement: String,
    pub profile: String,
    pub count: u32,
    pub count_site: Site,
}
