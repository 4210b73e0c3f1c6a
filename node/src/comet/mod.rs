//! Running under CometBFT (`leaseholdd start` without `--dev`): the ABCI server CometBFT
//! connects to (`abci.address`, CometBFT's `proxy_app`), and the gRPC server answering every
//! query from committed state, whose `BroadcastTx` forwards to CometBFT's RPC
//! ([`CometBroadcaster`]). CometBFT drives the chain: InitChain with its genesis `app_state`,
//! then blocks; the app applies no genesis of its own in this mode.

pub mod broadcast;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

pub use broadcast::CometBroadcaster;

use crate::abci::{AbciApp, AbciServer};
use crate::app::{App, AppOptions, ChainView};
use crate::config::{Home, NodeConfig};
use crate::error::NodeError;
use crate::query::limits::QueryLimits;
use crate::query::{NodeInfo, Services, router};

/// How long a forwarded broadcast may take.
const BROADCAST_TIMEOUT: Duration = Duration::from_secs(15);

/// A node serving CometBFT.
pub struct CometNode {
    pub abci_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    pub view: ChainView,
    abci: AbciServer,
    app_thread: std::thread::JoinHandle<Result<(), NodeError>>,
    grpc_shutdown: oneshot::Sender<()>,
    grpc: tokio::task::JoinHandle<Result<(), NodeError>>,
}

/// Opens the app in `home` and starts the ABCI and gRPC servers. Must be called inside a
/// tokio runtime.
pub async fn start_comet(home: &Home, config: &NodeConfig) -> Result<CometNode, NodeError> {
    let app = App::open(AppOptions {
        data_dir: home.data_dir(),
        min_gas_price: config.min_gas_price()?,
        tx_index: config.tx_index_policy()?,
    })?;
    let (height, app_hash) = app.last_committed()?;
    if height == 0 {
        tracing::info!("no committed block: waiting for CometBFT's InitChain");
    } else {
        tracing::info!(height, app_hash = %hex::encode_upper(app_hash), "resuming from the last committed block");
    }
    let view = app.view();

    let grpc_listener = tokio::net::TcpListener::bind(&config.grpc.address)
        .await
        .map_err(|e| NodeError::Config(format!("gRPC address {}: {e}", config.grpc.address)))?;
    let grpc_addr = grpc_listener.local_addr()?;
    let services = Services {
        view: view.clone(),
        broadcaster: Arc::new(CometBroadcaster::new(&config.abci.comet_rpc, BROADCAST_TIMEOUT)?),
        node: NodeInfo { moniker: config.moniker.clone(), node_id: String::new(), grpc_address: grpc_addr.to_string() },
        limits: QueryLimits::new(&config.query),
    };
    let routes = router(services);

    let (abci_app, app_thread) = AbciApp::start(app, routes.clone())?;
    let abci_address = config.abci.address.strip_prefix("tcp://").unwrap_or(&config.abci.address);
    let abci_listener = tokio::net::TcpListener::bind(abci_address)
        .await
        .map_err(|e| NodeError::Config(format!("ABCI address {}: {e}", config.abci.address)))?;
    let abci = crate::abci::serve(abci_listener, abci_app)?;

    let (grpc_shutdown, shutdown_rx) = oneshot::channel::<()>();
    let grpc = tokio::spawn(async move {
        routes
            .serve(grpc_listener, async move {
                let _ = shutdown_rx.await;
            })
            .await
            .map_err(|e| NodeError::Config(format!("gRPC server: {e}")))
    });
    tracing::info!(%grpc_addr, "gRPC server listening");
    Ok(CometNode { abci_addr: abci.local_addr, grpc_addr, view, abci, app_thread, grpc_shutdown, grpc })
}

impl CometNode {
    /// Runs until `shutdown` resolves, then stops the servers and the application thread.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()>) -> Result<(), NodeError> {
        shutdown.await;
        self.shutdown().await
    }

    /// Stops the servers; the application thread ends once no connection holds it and reports
    /// whether it had halted.
    pub async fn shutdown(self) -> Result<(), NodeError> {
        self.abci.shutdown().await;
        let _ = self.grpc_shutdown.send(());
        let grpc = self.grpc.await.map_err(|e| NodeError::Consensus(e.to_string()))?;
        let app = self.app_thread;
        let app = tokio::task::spawn_blocking(move || app.join())
            .await
            .map_err(|e| NodeError::Consensus(e.to_string()))?
            .map_err(|_| NodeError::Consensus("the application thread panicked".into()))?;
        app?;
        grpc
    }
}
