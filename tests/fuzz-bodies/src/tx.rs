//! Target `tx`: arbitrary bytes as a transaction on a real [`App`] (dev genesis, committed at
//! height 1) — CheckTx (decode, stateless checks, ante) and DeliverTx (the tx alone in block 2,
//! which is finalized again for every input and never committed).
//!
//! Checked: nothing panics; bytes that do not decode are refused by CheckTx and DeliverTx; a tx
//! refused before its fee is charged (no ante events) leaves block 2 with exactly the app hash
//! of an empty block 2; the committed height and app hash never change.

use std::sync::{Mutex, OnceLock};

use leasehold_node::app::App;
use leasehold_node::tx::decode_tx;
use tempfile::TempDir;

use crate::common::{block_id, dev_app, header};

struct Fixture {
    app: App,
    /// App hash of block 2 with no txs.
    empty_block_hash: [u8; 32],
    committed: (u64, [u8; 32]),
    _dir: TempDir,
}

fn fixture() -> &'static Mutex<Fixture> {
    static F: OnceLock<Mutex<Fixture>> = OnceLock::new();
    F.get_or_init(|| {
        let (mut app, dir, _) = dev_app();
        let committed = app.last_committed().unwrap_or_else(|e| panic!("last committed: {e}"));
        let empty = app.finalize_block(header(2), block_id(), vec![]).unwrap_or_else(|e| panic!("empty block 2: {e}"));
        Mutex::new(Fixture { app, empty_block_hash: empty.app_hash, committed, _dir: dir })
    })
}

/// Runs `data` through CheckTx and DeliverTx; panics when a property fails.
pub fn run(data: &[u8]) {
    let mut f = fixture().lock().unwrap_or_else(|p| p.into_inner());
    let limits = f.app.params().map(|p| p.limits.clone()).unwrap_or_else(|| panic!("the fixture has no params"));
    let decodes = decode_tx(data, &limits).is_ok();

    let check = f.app.check_tx(data);
    assert!(decodes || check.code != 0, "CheckTx accepted bytes that do not decode: {check:?}");
    let now = f.app.last_committed().unwrap_or_else(|e| panic!("last committed: {e}"));
    assert_eq!(now, f.committed, "CheckTx changed the committed state");

    let block = f
        .app
        .finalize_block(header(2), block_id(), vec![data.to_vec()])
        .unwrap_or_else(|e| panic!("FinalizeBlock failed (the node would halt): {e}"));
    let result = &block.results[0];
    assert!(decodes || result.code != 0, "DeliverTx accepted bytes that do not decode: {result:?}");
    if result.code != 0 && result.events.is_empty() {
        assert_eq!(
            block.app_hash, f.empty_block_hash,
            "a tx refused before its fee (code {} {}: {}) changed the state",
            result.codespace, result.code, result.log
        );
    }
    let now = f.app.last_committed().unwrap_or_else(|e| panic!("last committed: {e}"));
    assert_eq!(now, f.committed, "DeliverTx changed the committed state");
}

/// Seeds: signed txs of the dev accounts (a bank send, a contract call, a bad signature).
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    use crate::common::{dev, msg_execute, msg_send, signed_tx};
    let (app, _dir, market) = dev_app();
    let view = app.view();
    let account = |name: &str| {
        let a =
            view.account(&dev(name).address()).unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|| panic!("{name}"));
        (a.account_number, a.sequence)
    };
    let (tenant, provider) = (dev("tenant").address(), dev("provider-gpu").address());
    let (n, s) = account("tenant");
    let send = signed_tx("tenant", n, s, &[msg_send(&tenant, &provider, 1_000)], 5_000, 200_000);
    let (pn, ps) = account("provider-gpu");
    let register = serde_json::json!({"register": {"host_uri": "https://provider.example.com:8443", "attributes": [{"key": "region", "value": "eu-west"}], "info": {"email": "ops@example.com", "website": "https://example.com"}}});
    let config = serde_json::json!({"config": {}});
    let call = signed_tx("provider-gpu", pn, ps, &[msg_execute(&provider, &market, &config)], 10_000, 2_000_000);
    let registry = crate::common::registry_of(&view, &market);
    let register_tx =
        signed_tx("provider-gpu", pn, ps, &[msg_execute(&provider, &registry, &register)], 10_000, 2_000_000);
    let mut bad_sig = send.clone();
    if let Some(last) = bad_sig.last_mut() {
        *last ^= 1;
    }
    let two_msgs =
        signed_tx("tenant", n, s, &[msg_send(&tenant, &provider, 1), msg_send(&tenant, &tenant, 2)], 0, 300_000);
    vec![
        ("bank-send".into(), send),
        ("execute-unknown-msg".into(), call),
        ("execute-register".into(), register_tx),
        ("bad-signature".into(), bad_sig),
        ("two-sends-no-fee".into(), two_msgs),
    ]
}
