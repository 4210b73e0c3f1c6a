//! `check-wasm FILE...`: validates compiled contracts the way the chain does on upload.
//!
//! For each file: wasmd's size limit (800 KiB), cosmwasm-vm's static checks with the chain's
//! capabilities and limits, and compilation. Prints `ok <file> <bytes> <required capabilities>`
//! (`-` when none) per file and exits non-zero at the first failure.

use std::process::ExitCode;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: check-wasm FILE...");
        return ExitCode::from(2);
    }
    for file in &files {
        let wasm = match std::fs::read(file) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("check-wasm: {file}: cannot read: {e}");
                return ExitCode::FAILURE;
            }
        };
        match leasehold_wasm_host::check_code(&wasm) {
            Ok(caps) => {
                let caps = if caps.is_empty() { "-".to_string() } else { caps.join(",") };
                println!("ok {file} {} {caps}", wasm.len());
            }
            Err(e) => {
                eprintln!("check-wasm: {file}: rejected: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
