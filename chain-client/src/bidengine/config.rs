//! The engine's YAML config (`examples/providers/*.yaml`, described in `docs/provider.md`):
//! who the provider is, what hardware it has, how it prices, how it bids.
//!
//! Read with the SDL's positioned YAML loader, so every error names the field path and the
//! line and column (`inventory[0].memory (line 20, column 13): "1Tx" is not a size ...`).
//! Unknown keys are errors: a misspelt `withdraw_every_block` must not silently fall back to a
//! default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cosmwasm_std::{Decimal256, Uint256};
use leasehold_types::provider::{ProviderInfo, validate_host_uri};
use leasehold_types::resources::STORAGE_CLASSES;
use leasehold_types::{Attribute, attributes::validate_attributes};

use super::error::ConfigError;
use crate::sdl::Location;
use crate::sdl::quantity::{parse_bytes, parse_cpu, parse_gpu_ram};
use crate::sdl::yaml::{self, Key, Kind, Node};

/// Largest config file read (a config is a few KiB).
const MAX_CONFIG_BYTES: u64 = 1 << 20;
/// Most inventory nodes.
const MAX_NODES: usize = 1024;

/// Everything the engine needs to know about its provider.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// Keyring name of the provider's key (`--from` overrides it).
    pub key: String,
    pub host_uri: String,
    pub info: ProviderInfo,
    /// Placement attributes the provider declares (capabilities are derived from the inventory).
    pub attributes: Vec<Attribute>,
    pub inventory: Vec<NodeSpec>,
    pub pricing: PricingConfig,
    pub bidding: BiddingConfig,
    /// Withdraw each lease's earnings every this many blocks.
    pub withdraw_every_blocks: u64,
    /// How often the engine looks at the chain.
    pub poll_interval: Duration,
    /// Where the engine keeps its state (`state.json`); resolved against the config's directory.
    pub state_dir: PathBuf,
}

/// One machine of the inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    pub name: String,
    pub cpu_millis: u64,
    pub memory_bytes: u64,
    pub storage: Vec<StorageSpec>,
    pub gpus: Vec<GpuSpec>,
}

/// Storage of one class on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageSpec {
    /// One of `default`, `beta1`, `beta2`, `beta3` (`ram` volumes use the node's memory).
    pub class: String,
    pub size_bytes: u64,
}

/// GPUs of one model on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuSpec {
    /// Lowercase, as capability keys spell them (`nvidia`, `h100`).
    pub vendor: String,
    pub model: String,
    /// `<N>Gi`.
    pub ram: Option<String>,
    /// `pcie` or `sxm`.
    pub interface: Option<String>,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PricingConfig {
    /// The denom the engine bids in; orders in other denoms get no bid.
    pub denom: String,
    pub strategy: StrategyConfig,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StrategyConfig {
    /// Per-resource prices per block.
    Scale(ScalePrices),
    /// An external program: the order as JSON on stdin, the price on stdout.
    Script(ScriptConfig),
}

/// Prices per block, in the pricing denom.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScalePrices {
    /// Per CPU core (1000 millicores).
    pub cpu: Decimal256,
    /// Per GiB of memory.
    pub memory: Decimal256,
    /// Per GiB, by storage class (`ram` volumes are priced as memory).
    pub storage: BTreeMap<String, Decimal256>,
    /// Per endpoint.
    pub endpoint: Decimal256,
    /// Per GPU, by model (lowercase); `*` prices any model not listed.
    pub gpu: BTreeMap<String, Decimal256>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptConfig {
    /// Program and arguments; run in the config file's directory.
    pub command: Vec<String>,
    pub working_dir: PathBuf,
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BiddingConfig {
    /// Collateral per bid; the market's minimum for the denom when absent.
    pub collateral: Option<Uint256>,
    /// Blocks after which an unaccepted bid is closed (and its collateral refunded).
    pub bid_timeout_blocks: u64,
}

impl EngineConfig {
    /// Reads and checks the config at `path`.
    pub fn load(path: &Path) -> Result<EngineConfig, ConfigError> {
        let io = |e: std::io::Error| ConfigError::Io { path: path.to_path_buf(), reason: e.to_string() };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_CONFIG_BYTES {
            return Err(ConfigError::Io {
                path: path.to_path_buf(),
                reason: format!("{size} bytes is larger than the {MAX_CONFIG_BYTES}-byte limit"),
            });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        EngineConfig::parse(&text, base).map_err(|e| e.in_file(path))
    }

    /// Parses a config; relative paths (state_dir, the script's directory) are resolved against
    /// `base_dir`.
    pub fn parse(text: &str, base_dir: &Path) -> Result<EngineConfig, ConfigError> {
        let root =
            yaml::load(text).map_err(|e| ConfigError::Syntax { reason: format!("{} ({})", e.kind(), e.location()) })?;
        let mut top = Field::root(&root).map()?;
        let key = top.req("key")?.token()?;
        let host_field = top.req("host_uri")?;
        let host_uri = host_field.text()?.to_string();
        validate_host_uri(&host_uri).map_err(|r| host_field.invalid(r))?;
        let info = match top.opt("info") {
            Some(f) => {
                let mut m = f.map()?;
                let info = ProviderInfo {
                    email: m.opt("email").map(|f| f.text().map(str::to_string)).transpose()?.unwrap_or_default(),
                    website: m.opt("website").map(|f| f.text().map(str::to_string)).transpose()?.unwrap_or_default(),
                };
                m.finish()?;
                info.validate().map_err(|e| f.invalid(e.to_string()))?;
                info
            }
            None => ProviderInfo::default(),
        };
        let attributes = match top.opt("attributes") {
            Some(f) => {
                let attrs = f.entries()?.into_iter().map(|(k, v)| Ok(Attribute::new(k, v.text()?))).collect::<Result<
                    Vec<_>,
                    ConfigError,
                >>(
                )?;
                validate_attributes("attributes", &attrs, false).map_err(|e| f.invalid(e.to_string()))?;
                if let Some(a) = attrs.iter().find(|a| a.key.starts_with("capabilities/")) {
                    return Err(f.invalid(format!(
                        "{}: capabilities are derived from the inventory; do not declare them",
                        a.key
                    )));
                }
                attrs
            }
            None => Vec::new(),
        };
        let inventory_field = top.req("inventory")?;
        let nodes = inventory_field.seq()?;
        if nodes.is_empty() {
            return Err(inventory_field.invalid("the inventory needs at least one node"));
        }
        if nodes.len() > MAX_NODES {
            return Err(inventory_field.invalid(format!("at most {MAX_NODES} nodes")));
        }
        let mut inventory = Vec::with_capacity(nodes.len());
        for n in nodes {
            let node = read_node(&n)?;
            if inventory.iter().any(|o: &NodeSpec| o.name == node.name) {
                return Err(n.invalid(format!("node name {:?} appears twice", node.name)));
            }
            inventory.push(node);
        }
        let pricing = read_pricing(&top.req("pricing")?, base_dir)?;
        let bidding = match top.opt("bidding") {
            Some(f) => {
                let mut m = f.map()?;
                let collateral = m.opt("collateral").map(|c| c.uint256()).transpose()?;
                let bid_timeout_blocks = m.opt("bid_timeout_blocks").map(|b| b.positive()).transpose()?.unwrap_or(300);
                m.finish()?;
                BiddingConfig { collateral, bid_timeout_blocks }
            }
            None => BiddingConfig { collateral: None, bid_timeout_blocks: 300 },
        };
        let withdraw_every_blocks = top.opt("withdraw_every_blocks").map(|f| f.positive()).transpose()?.unwrap_or(100);
        let poll_interval = match top.opt("poll_interval_ms") {
            Some(f) => Duration::from_millis(f.positive()?),
            None => Duration::from_millis(500),
        };
        let state_dir = match top.opt("state_dir") {
            Some(f) => base_dir.join(f.text()?),
            None => base_dir.join(format!(".leasehold-provider-{key}")),
        };
        top.finish()?;
        let config = EngineConfig {
            key,
            host_uri,
            info,
            attributes,
            inventory,
            pricing,
            bidding,
            withdraw_every_blocks,
            poll_interval,
            state_dir,
        };
        let all = config.registered_attributes();
        validate_attributes("attributes", &all, false).map_err(|e| ConfigError::Invalid {
            path: "attributes".into(),
            location: None,
            reason: e.to_string(),
        })?;
        Ok(config)
    }

    /// The attributes the provider registers: the declared ones, then the capabilities of its
    /// inventory (one key per distinct GPU, one class/persistent pair per non-default storage
    /// class), as the market's matching reads them.
    pub fn registered_attributes(&self) -> Vec<Attribute> {
        let mut out = self.attributes.clone();
        let mut gpu_keys: Vec<String> = Vec::new();
        let mut classes: Vec<&str> = Vec::new();
        for node in &self.inventory {
            for g in &node.gpus {
                let mut key = format!("capabilities/gpu/vendor/{}/model/{}", g.vendor, g.model);
                if let Some(ram) = &g.ram {
                    key.push_str(&format!("/ram/{ram}"));
                }
                if let Some(iface) = &g.interface {
                    key.push_str(&format!("/interface/{iface}"));
                }
                if !gpu_keys.contains(&key) {
                    gpu_keys.push(key);
                }
            }
            for s in &node.storage {
                if s.class != "default" && !classes.contains(&s.class.as_str()) {
                    classes.push(&s.class);
                }
            }
        }
        out.extend(gpu_keys.into_iter().map(|k| Attribute::new(k, "true")));
        for (i, class) in classes.iter().enumerate() {
            out.push(Attribute::new(format!("capabilities/storage/{}/class", i + 1), *class));
            out.push(Attribute::new(format!("capabilities/storage/{}/persistent", i + 1), "true"));
        }
        out
    }
}

fn read_node(f: &Field<'_>) -> Result<NodeSpec, ConfigError> {
    let mut m = f.map()?;
    let name = m.req("name")?.token()?;
    let cpu = m.req("cpu")?;
    let cpu_millis = cpu.parse(parse_cpu)?;
    let memory_bytes = m.req("memory")?.parse(parse_bytes)?;
    let mut storage: Vec<StorageSpec> = Vec::new();
    if let Some(s) = m.opt("storage") {
        for v in s.seq()? {
            let mut vm = v.map()?;
            let class_field = vm.opt("class");
            let class = match &class_field {
                Some(c) => c.text()?.to_string(),
                None => "default".to_string(),
            };
            if class == "ram" || !STORAGE_CLASSES.contains(&class.as_str()) {
                let at = class_field.as_ref().unwrap_or(&v);
                return Err(at.invalid(format!(
                    "storage class {class:?}: expected default, beta1, beta2 or beta3 (ram volumes use the node's memory)"
                )));
            }
            let size_bytes = vm.req("size")?.parse(parse_bytes)?;
            vm.finish()?;
            if storage.iter().any(|o| o.class == class) {
                return Err(v.invalid(format!("storage class {class:?} appears twice on this node")));
            }
            storage.push(StorageSpec { class, size_bytes });
        }
    }
    let mut gpus = Vec::new();
    if let Some(g) = m.opt("gpus") {
        for v in g.seq()? {
            let mut gm = v.map()?;
            let vendor = gm.req("vendor")?.token()?.to_ascii_lowercase();
            let model = gm.req("model")?.token()?.to_ascii_lowercase();
            let ram = gm.opt("ram").map(|r| r.parse(parse_gpu_ram)).transpose()?;
            let interface = match gm.opt("interface") {
                Some(i) => {
                    let text = i.text()?.to_ascii_lowercase();
                    if text != "pcie" && text != "sxm" {
                        return Err(i.invalid(format!("{text:?}: expected pcie or sxm")));
                    }
                    Some(text)
                }
                None => None,
            };
            let count_field = gm.req("count")?;
            let count = u32::try_from(count_field.positive()?).map_err(|_| count_field.invalid("too large"))?;
            gm.finish()?;
            gpus.push(GpuSpec { vendor, model, ram, interface, count });
        }
    }
    m.finish()?;
    Ok(NodeSpec { name, cpu_millis, memory_bytes, storage, gpus })
}

fn read_pricing(f: &Field<'_>, base_dir: &Path) -> Result<PricingConfig, ConfigError> {
    let mut m = f.map()?;
    let denom = m.req("denom")?.token()?;
    let strategy_field = m.req("strategy")?;
    let scale = m.opt("scale");
    let script = m.opt("script");
    let strategy = match strategy_field.text()? {
        "scale" => {
            let s = scale.ok_or_else(|| strategy_field.invalid("strategy `scale` needs a `scale` section"))?;
            StrategyConfig::Scale(read_scale(&s)?)
        }
        "script" => {
            let s = script.ok_or_else(|| strategy_field.invalid("strategy `script` needs a `script` section"))?;
            let mut sm = s.map()?;
            let cmd_field = sm.req("command")?;
            let command =
                cmd_field.seq()?.iter().map(|c| c.text().map(str::to_string)).collect::<Result<Vec<_>, _>>()?;
            if command.is_empty() || command[0].is_empty() {
                return Err(cmd_field.invalid("the command needs at least a program"));
            }
            let timeout =
                Duration::from_millis(sm.opt("timeout_ms").map(|t| t.positive()).transpose()?.unwrap_or(5000));
            sm.finish()?;
            StrategyConfig::Script(ScriptConfig { command, working_dir: base_dir.to_path_buf(), timeout })
        }
        other => return Err(strategy_field.invalid(format!("{other:?}: expected scale or script"))),
    };
    m.finish()?;
    Ok(PricingConfig { denom, strategy })
}

fn read_scale(f: &Field<'_>) -> Result<ScalePrices, ConfigError> {
    let mut m = f.map()?;
    let mut prices = ScalePrices {
        cpu: m.opt("cpu").map(|v| v.decimal()).transpose()?.unwrap_or_default(),
        memory: m.opt("memory").map(|v| v.decimal()).transpose()?.unwrap_or_default(),
        endpoint: m.opt("endpoint").map(|v| v.decimal()).transpose()?.unwrap_or_default(),
        ..ScalePrices::default()
    };
    if let Some(s) = m.opt("storage") {
        for (class, v) in s.entries()? {
            if class == "ram" || !STORAGE_CLASSES.contains(&class.as_str()) {
                return Err(v.invalid(format!("storage class {class:?}: expected default, beta1, beta2 or beta3")));
            }
            prices.storage.insert(class, v.decimal()?);
        }
    }
    if let Some(g) = m.opt("gpu") {
        for (model, v) in g.entries()? {
            prices.gpu.insert(model.to_ascii_lowercase(), v.decimal()?);
        }
    }
    m.finish()?;
    Ok(prices)
}

/// A YAML node and the field path that leads to it.
struct Field<'a> {
    node: &'a Node,
    path: String,
}

impl<'a> Field<'a> {
    fn root(node: &'a Node) -> Field<'a> {
        Field { node, path: String::new() }
    }

    fn invalid(&self, reason: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            path: if self.path.is_empty() { "config".into() } else { self.path.clone() },
            location: Some(self.node.loc()),
            reason: reason.into(),
        }
    }

    fn map(&self) -> Result<MapReader<'a>, ConfigError> {
        match &self.node.kind {
            Kind::Map(entries) => Ok(MapReader {
                entries,
                used: vec![false; entries.len()],
                path: self.path.clone(),
                loc: self.node.loc(),
            }),
            _ => Err(self.invalid(format!("expected a mapping, found {}", self.node.kind_name()))),
        }
    }

    fn seq(&self) -> Result<Vec<Field<'a>>, ConfigError> {
        match &self.node.kind {
            Kind::Seq(items) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, node)| Field { node, path: format!("{}[{i}]", self.path) })
                .collect()),
            _ => Err(self.invalid(format!("expected a list, found {}", self.node.kind_name()))),
        }
    }

    /// A mapping's entries as (key, value) in document order.
    fn entries(&self) -> Result<Vec<(String, Field<'a>)>, ConfigError> {
        match &self.node.kind {
            Kind::Map(entries) => Ok(entries
                .iter()
                .map(|(k, node)| (k.text.clone(), Field { node, path: join(&self.path, &k.text) }))
                .collect()),
            _ => Err(self.invalid(format!("expected a mapping, found {}", self.node.kind_name()))),
        }
    }

    fn text(&self) -> Result<&'a str, ConfigError> {
        match &self.node.kind {
            Kind::Scalar(s) => Ok(s),
            _ => Err(self.invalid(format!("expected a value, found {}", self.node.kind_name()))),
        }
    }

    /// A name: letters, digits, `-`, `_`, `.`; 1 to 64 characters.
    fn token(&self) -> Result<String, ConfigError> {
        let t = self.text()?;
        let ok = !t.is_empty()
            && t.len() <= 64
            && t.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !ok {
            return Err(self.invalid(format!("{t:?}: expected 1 to 64 letters, digits, `-`, `_` or `.`")));
        }
        Ok(t.to_string())
    }

    fn parse<T>(&self, f: impl FnOnce(&str) -> Result<T, &'static str>) -> Result<T, ConfigError> {
        let t = self.text()?;
        f(t).map_err(|reason| self.invalid(format!("{t:?} {reason}")))
    }

    /// A whole number ≥ 1.
    fn positive(&self) -> Result<u64, ConfigError> {
        let t = self.text()?;
        match t.parse::<u64>() {
            Ok(n) if n >= 1 && t.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
            _ => Err(self.invalid(format!("{t:?}: expected a whole number of at least 1"))),
        }
    }

    fn uint256(&self) -> Result<Uint256, ConfigError> {
        let t = self.text()?;
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.invalid(format!("{t:?}: expected a whole number of micro-units, e.g. 500000")));
        }
        t.parse::<Uint256>().map_err(|_| self.invalid(format!("{t:?}: too large")))
    }

    /// A non-negative decimal (`2800`, `0.05`).
    fn decimal(&self) -> Result<Decimal256, ConfigError> {
        let t = self.text()?;
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(self.invalid(format!("{t:?}: expected a non-negative decimal price, e.g. 2800 or 0.05")));
        }
        t.parse::<Decimal256>().map_err(|e| self.invalid(format!("{t:?}: {e}")))
    }
}

/// Reads a mapping's keys one by one; [`MapReader::finish`] refuses keys nobody asked for.
struct MapReader<'a> {
    entries: &'a [(Key, Node)],
    used: Vec<bool>,
    path: String,
    loc: Location,
}

impl<'a> MapReader<'a> {
    fn opt(&mut self, key: &str) -> Option<Field<'a>> {
        let i = self.entries.iter().position(|(k, _)| k.text == key)?;
        self.used[i] = true;
        let node = &self.entries[i].1;
        if node.kind == Kind::Null {
            return None;
        }
        Some(Field { node, path: join(&self.path, key) })
    }

    fn req(&mut self, key: &str) -> Result<Field<'a>, ConfigError> {
        self.opt(key).ok_or_else(|| ConfigError::Invalid {
            path: join(&self.path, key),
            location: Some(self.loc),
            reason: "is required".into(),
        })
    }

    fn finish(self) -> Result<(), ConfigError> {
        match self.entries.iter().zip(&self.used).find(|(_, used)| !**used) {
            Some(((k, _), _)) => Err(ConfigError::Invalid {
                path: join(&self.path, &k.text),
                location: Some(k.loc),
                reason: "unknown key (see docs/provider.md)".into(),
            }),
            None => Ok(()),
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> EngineConfig {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/providers").join(name);
        EngineConfig::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn examples_parse() {
        let h100 = example("h100.yaml");
        assert_eq!(h100.key, "provider-gpu");
        assert_eq!(h100.inventory.len(), 2);
        assert_eq!(h100.inventory[0].cpu_millis, 128_000);
        assert_eq!(h100.inventory[0].memory_bytes, 1 << 40);
        assert_eq!(h100.inventory[0].gpus[0].ram.as_deref(), Some("80Gi"));
        let StrategyConfig::Scale(s) = &h100.pricing.strategy else { panic!("scale") };
        assert_eq!(s.gpu["h100"], Decimal256::from_atomics(2800u128, 0).unwrap());
        assert_eq!(s.storage["default"], "0.05".parse::<Decimal256>().unwrap());
        assert_eq!(h100.bidding.collateral, Some(Uint256::from(500_000u128)));
        let attrs = h100.registered_attributes();
        assert!(attrs.contains(&Attribute::new("tier", "datacenter")));
        assert!(
            attrs.contains(&Attribute::new("capabilities/gpu/vendor/nvidia/model/h100/ram/80Gi/interface/sxm", "true"))
        );
        assert!(attrs.contains(&Attribute::new("capabilities/storage/1/class", "beta2")));
        assert!(attrs.contains(&Attribute::new("capabilities/storage/2/class", "beta3")));
        assert!(attrs.contains(&Attribute::new("capabilities/storage/2/persistent", "true")));
        let cpu = example("cpu.yaml");
        assert!(cpu.inventory.iter().all(|n| n.gpus.is_empty()));
        assert_eq!(cpu.bidding.collateral, None);
    }

    fn err(text: &str) -> String {
        EngineConfig::parse(text, Path::new(".")).unwrap_err().to_string()
    }

    const BASE: &str = "key: p\nhost_uri: https://p.example\ninventory:\n  - name: n1\n    cpu: 8\n    memory: 32Gi\npricing:\n  denom: uusdc\n  strategy: scale\n  scale:\n    cpu: 1\n";

    #[test]
    fn minimal_config_gets_defaults() {
        let c = EngineConfig::parse(BASE, Path::new("/etc/p")).unwrap();
        assert_eq!(c.withdraw_every_blocks, 100);
        assert_eq!(c.bidding.bid_timeout_blocks, 300);
        assert_eq!(c.state_dir, Path::new("/etc/p/.leasehold-provider-p"));
        assert_eq!(c.registered_attributes(), Vec::<Attribute>::new());
    }

    #[test]
    fn bad_configs_name_the_field_and_line() {
        assert!(err(&BASE.replace("memory: 32Gi", "memory: 32Gx")).contains("inventory[0].memory (line 6"));
        assert!(err(&format!("{BASE}withdraw_every_block: 5\n")).contains("withdraw_every_block"));
        assert!(err(&format!("{BASE}withdraw_every_block: 5\n")).contains("unknown key"));
        assert!(err(&BASE.replace("https://p.example", "http://p.example")).contains("host_uri"));
        assert!(err(&BASE.replace("strategy: scale", "strategy: magic")).contains("expected scale or script"));
        assert!(err(&BASE.replace("    cpu: 1\n", "    cpu: -1\n")).contains("non-negative decimal"));
        assert!(
            err(&BASE.replace("inventory:\n  - name: n1\n    cpu: 8\n    memory: 32Gi\n", "inventory: []\n"))
                .contains("at least one node")
        );
        assert!(err("key: [a]\n").contains("key"));
        assert!(err("").starts_with("YAML: "), "{}", err(""));
        assert!(
            err(&format!("{BASE}attributes:\n  capabilities/gpu/vendor/nvidia/model/h100: \"true\"\n"))
                .contains("derived from the inventory")
        );
        let twice = BASE.replace("    memory: 32Gi\n", "    memory: 32Gi\n  - name: n1\n    cpu: 1\n    memory: 1Gi\n");
        assert!(err(&twice).contains("appears twice"));
        let gpu = BASE.replace("    memory: 32Gi\n", "    memory: 32Gi\n    gpus:\n      - vendor: nvidia\n        model: h100\n        interface: nvlink\n        count: 1\n");
        assert!(err(&gpu).contains("expected pcie or sxm"));
    }
}
