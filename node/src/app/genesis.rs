//! Applying the genesis file to an empty state (InitChain).

use cosmwasm_std::{BlockInfo, Timestamp};
use leasehold_wasm_host::{GasMeter, WasmHost};

use crate::app::params::{ChainParams, save_params};
use crate::auth::accounts::{AccountKeeper, module_address};
use crate::auth::{AUTH_STORE, FEE_COLLECTOR};
use crate::error::NodeError;
use crate::genesis::Genesis;

fn err(e: impl std::fmt::Display) -> NodeError {
    NodeError::Genesis(e.to_string())
}

/// Writes the genesis state into `host`'s store (outside any branch) and returns the chain's
/// parameters. Contract addresses are returned in the order of `app_state.wasm.contracts`.
pub fn apply_genesis(host: &mut WasmHost, genesis: &Genesis) -> Result<(ChainParams, Vec<String>), NodeError> {
    let time = genesis.time().map_err(err)?;
    let height = genesis.initial_height().map_err(err)?;
    if genesis.chain_id.is_empty() || genesis.chain_id.len() > 50 {
        return Err(err("chain_id must have 1 to 50 characters"));
    }
    let nanos = u64::try_from(time.unix_timestamp_nanos()).map_err(|_| err("genesis_time before 1970"))?;
    host.set_block(BlockInfo { height, time: Timestamp::from_nanos(nanos), chain_id: genesis.chain_id.clone() });
    host.set_transaction(None);
    let api = host.api().clone();
    let state = &genesis.app_state;
    for a in state.wasm.upload_allowlist.iter().chain(&state.auth.accounts) {
        api.validate(a).map_err(|e| err(format!("address {a}: {e}")))?;
    }
    let params = ChainParams {
        chain_id: genesis.chain_id.clone(),
        limits: state.auth.params.clone(),
        upload_allowlist: state.wasm.upload_allowlist.clone(),
        block: genesis.block_params().map_err(err)?,
    };
    save_params(host.store(), &params);

    let meter = GasMeter::new(u64::MAX);
    let scope = host.scope(meter);
    let keeper = AccountKeeper { api: &api };
    let mut auth = scope.module_kv(AUTH_STORE);
    keeper.get_or_create(&mut auth, &module_address(&api, FEE_COLLECTOR), Some(FEE_COLLECTOR)).map_err(err)?;
    for a in &state.auth.accounts {
        keeper.get_or_create(&mut auth, a, None).map_err(err)?;
    }
    drop(scope);
    for b in &state.bank.balances {
        let mut coins = b.coins.clone();
        coins.sort_by(|x, y| x.denom.cmp(&y.denom));
        host.mint(&b.address, &coins).map_err(|e| err(format!("balance of {}: {e}", b.address)))?;
    }
    let meter = GasMeter::new(u64::MAX);
    let mut events = Vec::new();
    let mut pins = Vec::new();
    {
        let scope = host.scope(meter);
        for (i, code) in state.wasm.codes.iter().enumerate() {
            let (code_id, _) = scope
                .store_code(&mut events, &code.creator, &code.wasm_byte_code)
                .map_err(|e| err(format!("code {} ({}): {e}", i + 1, code.name)))?;
            if code.pin {
                pins.push(code_id);
            }
        }
    }
    for code_id in pins {
        host.pin(code_id).map_err(|e| err(format!("pin code {code_id}: {e}")))?;
    }
    let meter = GasMeter::new(u64::MAX);
    let scope = host.scope(meter);
    let mut addresses = Vec::new();
    for c in &state.wasm.contracts {
        let msg = c.msg.as_bytes().to_vec();
        let (address, _) = scope
            .instantiate(&mut events, &c.sender, c.code_id, &msg, &c.funds, &c.label, c.admin.as_deref(), None)
            .map_err(|e| err(format!("instantiate {}: {e}", c.label)))?;
        addresses.push(address);
    }
    Ok((params, addresses))
}
