//! Writes the JSON schemas of the three marketplace contracts into `schema/<contract>/`.
//!
//! For each contract this produces the same files `cosmwasm_schema::write_api!` would —
//! `<contract>.json` (the whole API: instantiate, execute, query, migrate and one response schema
//! per query) and `raw/{instantiate,execute,query,migrate}.json` plus `raw/response_to_<query>.json`
//! — but into one folder per contract, since all message types live in this crate.
//! Output is pretty JSON with a trailing newline; files whose content is unchanged are not
//! rewritten, and stale `*.json` files (e.g. of a removed query) are deleted.
//!
//! Usage: `cargo run -p leasehold-types --bin schema [-- OUT_DIR]` (default: the workspace's
//! `schema/` folder). `make schema` runs it; `make schema-check` fails when the committed
//! schema differs from the generated one.

#![forbid(unsafe_code)]

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

use cosmwasm_schema::{Api, generate_api};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// `(folder and file stem, API)` for every contract, in a fixed order. The contract version is
/// this crate's version, which is the workspace version.
fn apis() -> Vec<(&'static str, Api)> {
    use leasehold_types::{escrow, market, provider};

    vec![
        (
            "provider",
            generate_api! {
                name: "leasehold-provider",
                instantiate: provider::InstantiateMsg,
                execute: provider::ExecuteMsg,
                query: provider::QueryMsg,
                migrate: provider::MigrateMsg,
            },
        ),
        (
            "market",
            generate_api! {
                name: "leasehold-market",
                instantiate: market::InstantiateMsg,
                execute: market::ExecuteMsg,
                query: market::QueryMsg,
                migrate: market::MigrateMsg,
            },
        ),
        (
            "escrow",
            generate_api! {
                name: "leasehold-escrow",
                instantiate: escrow::InstantiateMsg,
                execute: escrow::ExecuteMsg,
                query: escrow::QueryMsg,
                migrate: escrow::MigrateMsg,
            },
        ),
    ]
}

fn main() {
    if let Err(err) = run() {
        eprintln!("schema: error: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args_os().skip(1);
    let out_dir = match (args.next(), args.next()) {
        (None, _) => workspace_root()?.join("schema"),
        (Some(dir), None) => PathBuf::from(dir),
        (Some(_), Some(_)) => return Err("usage: schema [OUT_DIR]".into()),
    };

    for (contract, api) in apis() {
        let dir = out_dir.join(contract);
        let written = write_contract(&dir, contract, api)?;
        eprintln!("schema: {contract}: {written} files in {}", dir.display());
    }
    Ok(())
}

/// The workspace root: this crate lives in `<root>/packages/leasehold-types`.
fn workspace_root() -> Result<PathBuf> {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest_dir.ancestors().nth(2).ok_or("cannot locate the workspace root")?;
    Ok(root.to_path_buf())
}

/// Writes one contract's schema files into `dir`, returning how many files it holds.
fn write_contract(dir: &Path, contract: &str, api: Api) -> Result<usize> {
    let raw_dir = dir.join("raw");
    fs::create_dir_all(&raw_dir).map_err(|e| format!("creating {}: {e}", raw_dir.display()))?;

    let api = api.render();
    let mut files = vec![(dir.join(format!("{contract}.json")), api.to_string()?)];
    for (name, json) in api.to_schema_files()? {
        files.push((raw_dir.join(name), json));
    }

    let keep: Vec<&Path> = files.iter().map(|(path, _)| path.as_path()).collect();
    remove_stale_json(dir, &keep)?;
    remove_stale_json(&raw_dir, &keep)?;

    for (path, json) in &files {
        write_if_changed(path, &format!("{json}\n"))?;
    }
    Ok(files.len())
}

/// Deletes every regular `*.json` file directly in `dir` that is not in `keep`.
fn remove_stale_json(dir: &Path, keep: &[&Path]) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))? {
        let path = entry?.path();
        let is_json = path.extension().is_some_and(|ext| ext == "json");
        if is_json && path.is_file() && !keep.contains(&path.as_path()) {
            fs::remove_file(&path).map_err(|e| format!("removing {}: {e}", path.display()))?;
            eprintln!("schema: removed stale {}", path.display());
        }
    }
    Ok(())
}

fn write_if_changed(path: &Path, content: &str) -> Result<()> {
    if fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(());
    }
    fs::write(path, content).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(())
}
