//! `leasehold`: the Leasehold command line (see `leasehold --help`).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use leasehold_client::cli::args::{Cli, Command, ProviderCmd};
use leasehold_client::cli::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Completions { shell } = &cli.command {
        let mut script = Vec::new();
        clap_complete::generate(*shell, &mut Cli::command(), "leasehold", &mut script);
        leasehold_client::cli::output::write_stdout(&script);
        return ExitCode::SUCCESS;
    }
    let verbose = cli.global.verbose;
    // Long-running services log what they decide; one-shot commands only warnings.
    let service = matches!(cli.command, Command::Provider(ProviderCmd::Run { .. }));
    let filter = match (verbose, service) {
        (true, _) => "leasehold_client=debug,info",
        (false, true) => "leasehold_client=info,warn",
        (false, false) => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| filter.into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if verbose {
                eprintln!("{e:?}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}
