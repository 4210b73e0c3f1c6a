//! `cosmwasm.wasm.v1.Query`: SmartContractState, RawContractState, ContractInfo, Code, Codes,
//! ContractsByCode (no generated server exists for these in cosmos-sdk-proto 0.27; the router
//! serves them by path).

use crate::query::limits::QueryClass;
use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmos_sdk_proto::cosmwasm::wasm::v1 as w;
use leasehold_grpc_router::Router;
use leasehold_wasm_host::HostError;
use leasehold_wasm_host::proto::CodeInfo;
use tonic::Status;

use crate::query::{Services, blocking, internal};

/// Default and largest page (the SDK's `DefaultLimit` is 100).
const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 1000;

fn status(e: HostError) -> Status {
    match e {
        HostError::NoSuchContract(a) => Status::not_found(format!("address {a}: no such contract")),
        HostError::NoSuchCode(c) => Status::not_found(format!("code id {c}: no such code")),
        HostError::InvalidAddress(a) => Status::invalid_argument(format!("invalid address: {a}")),
        HostError::Invalid(m) => Status::invalid_argument(format!("{m}: invalid")),
        HostError::OutOfGas(o) => Status::resource_exhausted(format!("query gas limit exceeded: {o}")),
        other => {
            let (space, code) = other.abci_code();
            Status::unknown(format!("{other}: codespace {space}, code {code}"))
        }
    }
}

fn limit(p: &Option<PageRequest>) -> usize {
    let l = p.as_ref().map_or(0, |p| p.limit);
    (if l == 0 { DEFAULT_LIMIT } else { l.min(MAX_LIMIT) }) as usize
}

fn code_info_response(code_id: u64, info: &CodeInfo) -> w::CodeInfoResponse {
    w::CodeInfoResponse {
        code_id,
        creator: info.creator.clone(),
        data_hash: info.code_hash.clone(),
        instantiate_permission: Some(w::AccessConfig {
            permission: i32::try_from(info.instantiate_permission).unwrap_or(0),
            addresses: vec![],
        }),
    }
}

pub fn register(r: &mut Router, s: &Services) {
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmwasm.wasm.v1.Query/SmartContractState", move |req: w::QuerySmartContractStateRequest| {
        let view = view.clone();
        let limits = limits.clone();
        blocking(limits, QueryClass::Execute, move || {
            let host = view.host().map_err(internal)?;
            let data = host.query_smart(&req.address, &req.query_data).map_err(status)?;
            Ok(w::QuerySmartContractStateResponse { data: data.to_vec() })
        })
    });
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmwasm.wasm.v1.Query/RawContractState", move |req: w::QueryRawContractStateRequest| {
        let view = view.clone();
        let limits = limits.clone();
        blocking(limits, QueryClass::Read, move || {
            let host = view.host().map_err(internal)?;
            if host.contract_info(&req.address).map_err(status)?.is_none() {
                return Err(status(HostError::NoSuchContract(req.address)));
            }
            let data = host.query_raw(&req.address, &req.query_data).map_err(status)?;
            Ok(w::QueryRawContractStateResponse { data })
        })
    });
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmwasm.wasm.v1.Query/ContractInfo", move |req: w::QueryContractInfoRequest| {
        let view = view.clone();
        let limits = limits.clone();
        blocking(limits, QueryClass::Read, move || {
            let host = view.host().map_err(internal)?;
            let info = host
                .contract_info(&req.address)
                .map_err(status)?
                .ok_or_else(|| status(HostError::NoSuchContract(req.address.clone())))?;
            Ok(w::QueryContractInfoResponse {
                address: req.address,
                contract_info: Some(w::ContractInfo {
                    code_id: info.code_id,
                    creator: info.creator,
                    admin: info.admin,
                    label: info.label,
                    created: info
                        .created
                        .map(|c| w::AbsoluteTxPosition { block_height: c.block_height, tx_index: c.tx_index }),
                    ibc_port_id: info.ibc_port_id,
                    extension: None,
                }),
            })
        })
    });
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmwasm.wasm.v1.Query/Code", move |req: w::QueryCodeRequest| {
        let view = view.clone();
        let limits = limits.clone();
        blocking(limits, QueryClass::Read, move || {
            if req.code_id == 0 {
                return Err(Status::invalid_argument("code id is required"));
            }
            let host = view.host().map_err(internal)?;
            let (info, data) = host
                .code_bytes(req.code_id)
                .map_err(status)?
                .ok_or_else(|| status(HostError::NoSuchCode(req.code_id)))?;
            Ok(w::QueryCodeResponse { code_info: Some(code_info_response(req.code_id, &info)), data })
        })
    });
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmwasm.wasm.v1.Query/Codes", move |req: w::QueryCodesRequest| {
        let view = view.clone();
        let limits = limits.clone();
        blocking(limits, QueryClass::Read, move || {
            let host = view.host().map_err(internal)?;
            // Our page key is the last code id of the previous page (8 bytes BE).
            let start_after = req
                .pagination
                .as_ref()
                .and_then(|p| <[u8; 8]>::try_from(p.key.as_slice()).ok())
                .map(u64::from_be_bytes);
            let n = limit(&req.pagination);
            let mut codes = host.codes(start_after, n + 1).map_err(status)?;
            let more = codes.len() > n;
            codes.truncate(n);
            let next_key = if more { codes.last().map(|(id, _)| id.to_be_bytes().to_vec()) } else { None };
            Ok(w::QueryCodesResponse {
                code_infos: codes.iter().map(|(id, info)| code_info_response(*id, info)).collect(),
                pagination: Some(PageResponse { next_key: next_key.unwrap_or_default(), total: 0 }),
            })
        })
    });
    let view = s.view.clone();
    let limits = s.limits.clone();
    r.route_proto("/cosmwasm.wasm.v1.Query/ContractsByCode", move |req: w::QueryContractsByCodeRequest| {
        let view = view.clone();
        let limits = limits.clone();
        blocking(limits, QueryClass::Read, move || {
            if req.code_id == 0 {
                return Err(Status::invalid_argument("code id is required"));
            }
            let host = view.host().map_err(internal)?;
            let n = limit(&req.pagination);
            // Our page key is the position key of the last contract of the previous page.
            let after = req.pagination.as_ref().map(|p| p.key.clone()).filter(|k| !k.is_empty());
            let mut contracts = host.contracts_by_code(req.code_id, after.as_deref(), n + 1).map_err(status)?;
            let more = contracts.len() > n;
            contracts.truncate(n);
            let next_key = if more { contracts.last().map(|(k, _)| k.clone()) } else { None };
            Ok(w::QueryContractsByCodeResponse {
                contracts: contracts.into_iter().map(|(_, a)| a).collect(),
                pagination: Some(PageResponse { next_key: next_key.unwrap_or_default(), total: 0 }),
            })
        })
    });
}
