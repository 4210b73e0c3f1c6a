//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/seed-*`, the seeds) and findings
//! (`fuzz/regressions/<target>/`, every input that once failed, kept as a regression test)
//! through the fuzz targets' bodies, on the stable toolchain.

use std::path::{Path, PathBuf};

use leasehold_fuzz_bodies::{TARGETS, run, seeds};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted (none if the folder does not exist).
fn files(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return vec![] };
    let mut out: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
    out.sort();
    out
}

fn replay(target: &str) {
    // The committed seeds only: what libFuzzer adds to the folder stays local (and changes
    // while a fuzzer runs).
    let corpus: Vec<PathBuf> = files("corpus", target)
        .into_iter()
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("seed-")))
        .collect();
    assert!(!corpus.is_empty(), "fuzz/corpus/{target}/ has no seeds");
    for path in corpus.iter().chain(&files("regressions", target)) {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("{target}: {}", path.display());
        run(target, &data);
    }
}

#[test]
fn corpus_tx() {
    replay("tx");
}

#[test]
fn corpus_abci() {
    replay("abci");
}

#[test]
fn corpus_jsonrpc() {
    replay("jsonrpc");
}

#[test]
fn corpus_grpc() {
    replay("grpc");
}

#[test]
fn corpus_sdl() {
    replay("sdl");
}

#[test]
fn corpus_keyring() {
    replay("keyring");
}

#[test]
fn corpus_contracts() {
    replay("contracts");
}

#[test]
fn every_target_has_a_fuzz_target_file() {
    for target in TARGETS {
        let file = fuzz_dir().join("fuzz_targets").join(format!("{target}.rs"));
        assert!(file.is_file(), "{} is missing", file.display());
    }
}

/// Regenerates the seed corpora: `cargo test -p leasehold-fuzz-bodies --test replay -- --ignored`.
/// Seed files are named `seed-<name>`; other files (inputs libFuzzer added) are left alone.
#[test]
#[ignore = "writes fuzz/corpus/"]
fn write_seed_corpora() {
    for target in TARGETS {
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for (name, bytes) in seeds(target) {
            let path = dir.join(format!("seed-{name}"));
            std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            eprintln!("wrote {} ({} bytes)", path.display(), bytes.len());
        }
    }
}
