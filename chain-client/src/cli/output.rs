//! Printing results as text or JSON, and a spinner on stderr while a tx waits for inclusion
//! (only when stderr is a terminal and the output is text; `--output json` prints only JSON).

use std::io::{IsTerminal, Write};

use crate::client::tx::{TxProgress, TxResult};
use serde::Serialize;

use crate::cli::args::OutputFormat;

#[derive(Clone, Copy, Debug)]
pub struct Output {
    pub format: OutputFormat,
    interactive: bool,
}

const FRAMES: [char; 4] = ['|', '/', '-', '\\'];

impl Output {
    pub fn new(format: OutputFormat) -> Self {
        Output { format, interactive: format == OutputFormat::Text && std::io::stderr().is_terminal() }
    }

    pub fn json(&self) -> bool {
        self.format == OutputFormat::Json
    }

    /// Prints `value` as JSON, or `text()` in text mode.
    pub fn print<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) {
        let body = if self.json() {
            serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
        } else {
            text()
        };
        write_stdout(format!("{body}\n").as_bytes());
    }

    /// A note for humans on stderr (nothing in JSON mode).
    pub fn note(&self, msg: impl AsRef<str>) {
        if !self.json() {
            eprintln!("{}", msg.as_ref());
        }
    }

    /// A progress callback for [`crate::client::ChainClient::send_tx`].
    pub fn progress(&self) -> impl FnMut(TxProgress<'_>) + '_ {
        let mut frame = 0usize;
        move |p| match p {
            TxProgress::Simulated { gas_used, gas_limit } => {
                if !self.json() {
                    eprintln!("simulated: {gas_used} gas used, limit {gas_limit}");
                }
            }
            TxProgress::Broadcast { hash } => {
                if !self.json() {
                    eprintln!("broadcast {hash}");
                }
            }
            TxProgress::Waiting { hash, elapsed } => {
                if self.interactive {
                    frame = (frame + 1) % FRAMES.len();
                    eprint!("\r{} waiting for {hash} to be included ({}s)", FRAMES[frame], elapsed.as_secs());
                    let _ = std::io::stderr().flush();
                }
            }
        }
    }

    /// Ends the spinner line.
    pub fn done_waiting(&self) {
        if self.interactive {
            eprint!("\r\x1b[2K");
        }
    }

    /// The standard report of an included tx.
    pub fn tx(&self, what: &str, r: &TxResult, extra: &[(&str, String)]) {
        self.done_waiting();
        let mut value = serde_json::json!({
            "txhash": r.hash, "height": r.height, "code": r.code, "gas_wanted": r.gas_wanted, "gas_used": r.gas_used,
        });
        for (k, v) in extra {
            value[*k] = serde_json::Value::String(v.clone());
        }
        self.print(&value, || {
            let mut s =
                format!("{what}: included in block {} (tx {}, gas {}/{})", r.height, r.hash, r.gas_used, r.gas_wanted);
            for (k, v) in extra {
                s.push_str(&format!("\n  {k}: {v}"));
            }
            s
        });
    }
}

/// Writes to stdout, ignoring a reader that went away (`leasehold ... | head`): `println!` would
/// panic on the broken pipe.
pub fn write_stdout(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}
