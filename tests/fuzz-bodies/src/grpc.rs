//! Target `grpc`: arbitrary request bodies for every method the node serves on gRPC (and ABCI
//! `Query`), given straight to the query router's handlers — the same [`Router`] the gRPC
//! server and ABCI use — on a real app (dev genesis, committed at height 1). `BroadcastTx` goes
//! to that app's CheckTx.
//!
//! Input: `<method path>\n<body>` when the bytes start with a served path and a newline (the
//! seeds do), otherwise the first byte picks the method (modulo their number) and the rest is
//! the body.
//!
//! Checked: nothing panics (including inside the handlers' blocking tasks, which tokio would
//! turn into an `Internal` status); the committed height and app hash never change.

use std::sync::{Arc, Mutex, OnceLock};

use leasehold_grpc_router::Router;
use leasehold_node::app::exec::TxOutcome;
use leasehold_node::app::{App, ChainView};
use leasehold_node::error::NodeError;
use leasehold_node::query::{TxBroadcaster, router};
use tempfile::TempDir;
use tonic::Code;

use crate::common::{dev_app, runtime, services};

/// Broadcasts run CheckTx on the fixture's app.
struct CheckTx(Arc<Mutex<App>>);

impl TxBroadcaster for CheckTx {
    fn broadcast_sync(&self, tx: Vec<u8>) -> Result<TxOutcome, NodeError> {
        Ok(self.0.lock().unwrap_or_else(|p| p.into_inner()).check_tx(&tx))
    }

    fn broadcast_async(&self, tx: Vec<u8>) -> Result<(), NodeError> {
        self.broadcast_sync(tx).map(drop)
    }
}

struct Fixture {
    router: Router,
    paths: Vec<String>,
    view: ChainView,
    rt: tokio::runtime::Runtime,
    committed: (u64, [u8; 32]),
    _app: Arc<Mutex<App>>,
    _dir: TempDir,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let (app, dir, _) = dev_app();
        let view = app.view();
        let app = Arc::new(Mutex::new(app));
        let router = router(services(&view, Arc::new(CheckTx(Arc::clone(&app)))));
        let paths: Vec<String> = router.paths().map(str::to_owned).collect();
        let status = view.status();
        Fixture {
            router,
            paths,
            view,
            rt: runtime(),
            committed: (status.height, status.app_hash),
            _app: app,
            _dir: dir,
        }
    })
}

/// The served method paths, in order (the first byte of an input without a path picks one).
pub fn paths() -> Vec<String> {
    fixture().paths.clone()
}

/// Calls the method `data` names with its body; panics when a property fails.
pub fn run(data: &[u8]) {
    let f = fixture();
    let named = data.iter().position(|&b| b == b'\n').and_then(|nl| {
        let path = std::str::from_utf8(&data[..nl]).ok()?;
        f.paths.iter().any(|p| p == path).then(|| (path.to_owned(), &data[nl + 1..]))
    });
    let (path, body) = match named {
        Some(named) => named,
        None => match data.split_first() {
            Some((&i, body)) => (f.paths[usize::from(i) % f.paths.len()].clone(), body),
            None => return,
        },
    };
    let result = f.rt.block_on(f.router.call(&path, body.to_vec()));
    if let Err(status) = &result {
        assert!(
            !(status.code() == Code::Internal && status.message().contains("panicked")),
            "{path}: a handler panicked: {}",
            status.message()
        );
    }
    let status = f.view.status();
    assert_eq!((status.height, status.app_hash), f.committed, "{path} changed the committed state");
}

/// Seeds: a valid request of every served method, with the dev chain's addresses and contracts.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    use cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountRequest;
    use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryAllBalancesRequest, QueryBalanceRequest};
    use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
    use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as tm;
    use cosmos_sdk_proto::cosmos::tx::v1beta1 as txpb;
    use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasm;
    use prost::Message;

    let (app, _dir, market) = dev_app();
    let tenant = crate::common::dev("tenant").address();
    let tx = crate::tx::seeds().into_iter().next().map(|(_, t)| t).unwrap_or_default();
    let page = Some(PageRequest { limit: 10, ..Default::default() });
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |path: &str, body: Vec<u8>| {
        let mut bytes = format!("{path}\n").into_bytes();
        bytes.extend(body);
        let name = path.trim_start_matches('/').replace(['/', '.'], "-");
        out.push((name, bytes));
    };
    for path in fixture().paths.clone() {
        let p = path.as_str();
        let body = match p.rsplit('/').next().unwrap_or_default() {
            "Account" => QueryAccountRequest { address: tenant.clone() }.encode_to_vec(),
            "Balance" => QueryBalanceRequest { address: tenant.clone(), denom: "ulease".into() }.encode_to_vec(),
            "AllBalances" => {
                QueryAllBalancesRequest { address: tenant.clone(), pagination: page.clone(), resolve_denom: false }
                    .encode_to_vec()
            }
            "SmartContractState" => wasm::QuerySmartContractStateRequest {
                address: market.clone(),
                query_data: br#"{"config":{}}"#.to_vec(),
            }
            .encode_to_vec(),
            "RawContractState" => {
                wasm::QueryRawContractStateRequest { address: market.clone(), query_data: b"contract_info".to_vec() }
                    .encode_to_vec()
            }
            "ContractInfo" => wasm::QueryContractInfoRequest { address: market.clone() }.encode_to_vec(),
            "Code" => wasm::QueryCodeRequest { code_id: 1 }.encode_to_vec(),
            "Codes" => wasm::QueryCodesRequest { pagination: page.clone() }.encode_to_vec(),
            "ContractsByCode" => {
                wasm::QueryContractsByCodeRequest { code_id: 1, pagination: page.clone() }.encode_to_vec()
            }
            "BroadcastTx" => txpb::BroadcastTxRequest { tx_bytes: tx.clone(), mode: 2 }.encode_to_vec(),
            "Simulate" => txpb::SimulateRequest { tx_bytes: tx.clone(), ..Default::default() }.encode_to_vec(),
            "GetTx" => txpb::GetTxRequest { hash: "AB".repeat(32) }.encode_to_vec(),
            "GetTxsEvent" => {
                txpb::GetTxsEventRequest { query: "tx.height>=1".into(), page: 1, limit: 10, ..Default::default() }
                    .encode_to_vec()
            }
            "GetBlockWithTxs" => txpb::GetBlockWithTxsRequest { height: 1, pagination: page.clone() }.encode_to_vec(),
            "GetBlockByHeight" => tm::GetBlockByHeightRequest { height: 1 }.encode_to_vec(),
            "GetValidatorSetByHeight" => {
                tm::GetValidatorSetByHeightRequest { height: 1, pagination: page.clone() }.encode_to_vec()
            }
            _ => Vec::new(),
        };
        add(p, body);
    }
    drop(app);
    out
}
