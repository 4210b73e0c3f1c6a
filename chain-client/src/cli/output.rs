//! Printing results as text or JSON, and a spinner on stderr while a tx waits for inclusion
//! (only when stderr is a terminal and the output is text; `--output json` prints only JSON).

use std::io::{IsTerminal, Write};
use std::time::Duration;

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
        if self.json() {
            println!("{}", serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")));
        } else {
            println!("{}", text());
        }
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
                    eprint!("\r{} waiting for {hash} to be included ({:.0?})", FRAMES[frame], round(elapsed));
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

fn round(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs())
}
