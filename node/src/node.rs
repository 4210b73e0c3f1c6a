//! Running a node: `start --dev` wires the [`App`], the embedded block producer on its own
//! thread, and the gRPC server and CometBFT JSON-RPC server ([`crate::rpc`]) on the async
//! runtime, and stops them together.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::app::{App, AppOptions, ChainView};
use crate::config::{Home, NodeConfig, read_validator_key};
use crate::dev::{DevValidator, Producer, broadcast_channel};
use crate::error::NodeError;
use crate::genesis::Genesis;
use crate::query::limits::QueryLimits;
use crate::query::{NodeInfo, Services, router};
use crate::rpc::{Limits, RpcServer, RpcSetup};

/// The marketplace contract addresses of a chain started from the dev genesis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marketplace {
    pub market: String,
    pub escrow: String,
    pub provider: String,
}

/// Reads the marketplace addresses from the chain: the first contract of code 1 is the market,
/// whose `config` names its escrow and provider registry.
pub fn marketplace(view: &ChainView) -> Result<Option<Marketplace>, NodeError> {
    let host = view.host()?;
    let host_err = |e: leasehold_wasm_host::HostError| NodeError::Host(e.to_string());
    let Some((_, market)) = host.contracts_by_code(1, None, 1).map_err(host_err)?.into_iter().next() else {
        return Ok(None);
    };
    let config = host.query_smart(&market, br#"{"config":{}}"#).map_err(host_err)?;
    let config: serde_json::Value = serde_json::from_slice(&config).map_err(|e| NodeError::Host(e.to_string()))?;
    let field = |k: &str| config[k].as_str().map(str::to_string);
    Ok(match (field("escrow"), field("provider_registry")) {
        (Some(escrow), Some(provider)) => Some(Marketplace { market, escrow, provider }),
        _ => None,
    })
}

/// A running dev node.
pub struct DevNode {
    pub grpc_addr: SocketAddr,
    /// Where the CometBFT JSON-RPC (HTTP and `/websocket`) listens.
    pub rpc_addr: SocketAddr,
    pub view: ChainView,
    stop: Arc<AtomicBool>,
    producer_done: oneshot::Receiver<Result<(), NodeError>>,
    server_shutdown: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), NodeError>>,
    rpc: RpcServer,
}

/// Opens the app in `home` (applying the genesis on first start), starts the block producer
/// thread, the gRPC server and the JSON-RPC server. Must be called inside a tokio runtime.
pub async fn start_dev(home: &Home, config: &NodeConfig) -> Result<DevNode, NodeError> {
    let min_gas_price = config.min_gas_price()?;
    let genesis_bytes = std::fs::read(home.genesis_file())
        .map_err(|e| NodeError::Config(format!("{}: {e} (run `leaseholdd init`)", home.genesis_file().display())))?;
    let genesis = Genesis::from_json(&genesis_bytes).map_err(NodeError::Genesis)?;
    let seed = read_validator_key(&home.validator_key_file())?;
    let validator = DevValidator::from_seed(&seed)?;

    let mut app =
        App::open(AppOptions { data_dir: home.data_dir(), min_gas_price, tx_index: config.tx_index_policy()? })?;
    let (height, app_hash) = app.last_committed()?;
    if height == 0 {
        tracing::info!(chain_id = %genesis.chain_id, "applying genesis (storing and instantiating the contracts)");
        let (hash, _) = app.init_chain(&genesis)?;
        tracing::info!(app_hash = %hex::encode_upper(hash), "genesis applied");
    } else {
        let chain_id = app.params().map(|p| p.chain_id.clone()).unwrap_or_default();
        if chain_id != genesis.chain_id {
            return Err(NodeError::Genesis(format!(
                "the data directory holds chain {chain_id:?} but genesis.json is for {:?}",
                genesis.chain_id
            )));
        }
        tracing::info!(height, app_hash = %hex::encode_upper(app_hash), "resuming from the last committed block");
    }
    let view = app.view();
    let mut producer = Producer::new(app, validator.clone(), config.dev.mempool_size)?;
    if height == 0 {
        // Block 1 commits the genesis state, so the marketplace is queryable right away.
        producer.produce_block(tendermint::Time::now())?;
    }

    let commits = producer.subscribe();
    let (handle, rx) = broadcast_channel();
    let stop = Arc::new(AtomicBool::new(false));
    let (done_tx, producer_done) = oneshot::channel();
    let interval = Duration::from_millis(config.dev.block_interval_ms.max(1));
    let stop_flag = Arc::clone(&stop);
    std::thread::Builder::new()
        .name("block-producer".into())
        .spawn(move || {
            let result = producer.run(rx, interval, || stop_flag.load(Ordering::Relaxed));
            if let Err(e) = &result {
                tracing::error!("block producer stopped: {e}");
            }
            let _ = done_tx.send(result);
        })
        .map_err(NodeError::Io)?;

    let listener = tokio::net::TcpListener::bind(&config.grpc.address)
        .await
        .map_err(|e| NodeError::Config(format!("gRPC address {}: {e}", config.grpc.address)))?;
    let grpc_addr = listener.local_addr()?;
    let rpc_listener = tokio::net::TcpListener::bind(&config.rpc.address)
        .await
        .map_err(|e| NodeError::Config(format!("RPC address {}: {e}", config.rpc.address)))?;
    let broadcaster: Arc<dyn crate::query::TxBroadcaster> = Arc::new(handle);
    let services = Services {
        view: view.clone(),
        broadcaster: Arc::clone(&broadcaster),
        node: NodeInfo {
            moniker: config.moniker.clone(),
            node_id: hex::encode(validator.address.as_bytes()),
            grpc_address: grpc_addr.to_string(),
        },
        limits: QueryLimits::new(&config.query),
    };
    let query_limits = Arc::clone(&services.limits);
    let (server_shutdown, shutdown_rx) = oneshot::channel::<()>();
    let query_router = router(services);
    let rpc = RpcServer::start(
        rpc_listener,
        RpcSetup {
            view: view.clone(),
            router: query_router.clone(),
            broadcaster,
            validator: validator.clone(),
            validator_seed: seed,
            moniker: config.moniker.clone(),
            genesis_json: genesis_bytes,
            commits,
            limits: Limits::default(),
            query_limits,
        },
    )?;
    let rpc_addr = rpc.addr;
    let server = tokio::spawn(async move {
        query_router
            .serve(listener, async move {
                let _ = shutdown_rx.await;
            })
            .await
            .map_err(|e| NodeError::Config(format!("gRPC server: {e}")))
    });
    tracing::info!(%grpc_addr, "gRPC server listening");
    Ok(DevNode { grpc_addr, rpc_addr, view, stop, producer_done, server_shutdown, server, rpc })
}

impl DevNode {
    /// Runs until `shutdown` resolves or the producer fails, then stops everything.
    pub async fn run_until(mut self, shutdown: impl std::future::Future<Output = ()>) -> Result<(), NodeError> {
        let producer_result = tokio::select! {
            _ = shutdown => None,
            r = &mut self.producer_done => Some(r.unwrap_or(Ok(()))),
        };
        self.stop_all(producer_result).await
    }

    /// Stops the producer (after the block in progress), the gRPC server and the JSON-RPC server.
    pub async fn shutdown(self) -> Result<(), NodeError> {
        self.stop_all(None).await
    }

    async fn stop_all(self, producer_result: Option<Result<(), NodeError>>) -> Result<(), NodeError> {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.server_shutdown.send(());
        let rpc = self.rpc.shutdown().await;
        let server = self.server.await.map_err(|e| NodeError::Consensus(e.to_string()))?;
        let producer = match producer_result {
            Some(r) => r,
            None => self.producer_done.await.unwrap_or(Ok(())),
        };
        producer?;
        rpc?;
        server
    }
}
