//! `leasehold keys ...`.

use std::io::{IsTerminal, Read};

use crate::cli::args::KeysCmd;
use crate::cli::context::Ctx;
use crate::cli::error::CliError;

fn key_err(e: impl std::fmt::Display) -> CliError {
    CliError::usage(e.to_string())
}

fn new_passphrase(ctx: &Ctx, keyring_encrypted: bool) -> Result<String, CliError> {
    if !keyring_encrypted {
        return Ok(String::new());
    }
    let first = ctx.passphrase("Passphrase to encrypt the key: ")?;
    if first.len() < 8 {
        return Err(CliError::usage("the passphrase must have at least 8 characters"));
    }
    if std::env::var(crate::cli::context::PASSPHRASE_ENV).is_err() {
        let again = ctx.passphrase("Repeat the passphrase: ")?;
        if again != first {
            return Err(CliError::usage("the passphrases differ"));
        }
    }
    Ok(first)
}

pub fn run(ctx: &Ctx, cmd: KeysCmd) -> Result<(), CliError> {
    let keyring = ctx.keyring()?;
    match cmd {
        KeysCmd::Add { name } => {
            let pass = new_passphrase(ctx, !keyring.backend().is_insecure())?;
            let (info, mnemonic) = keyring.add(&name, &pass, 24).map_err(key_err)?;
            let phrase = mnemonic.phrase();
            ctx.out.print(&serde_json::json!({"name": info.name, "address": info.address, "mnemonic": phrase.as_str()}), || {
                format!(
                    "created key {} with address {}\n\nWrite down this mnemonic: it is the only way to recover the key.\n\n{}\n",
                    info.name,
                    info.address,
                    phrase.as_str()
                )
            });
        }
        KeysCmd::List => {
            let keys = keyring.list().map_err(key_err)?;
            let rows: Vec<_> = keys.iter().map(|k| serde_json::json!({"name": k.name, "address": k.address})).collect();
            ctx.out.print(&rows, || {
                if keys.is_empty() {
                    return "no keys (create one with `leasehold keys add NAME`)".into();
                }
                keys.iter().map(|k| format!("{:<20} {}", k.name, k.address)).collect::<Vec<_>>().join("\n")
            });
        }
        KeysCmd::Show { name } => {
            let k = keyring.show(&name).map_err(key_err)?;
            let pk = hex::encode(k.public_key.to_bytes());
            ctx.out.print(&serde_json::json!({"name": k.name, "address": k.address, "pubkey": pk}), || {
                format!("name:    {}\naddress: {}\npubkey:  {pk}", k.name, k.address)
            });
        }
        KeysCmd::Import { name, index } => {
            let mut phrase = String::new();
            if std::io::stdin().is_terminal() {
                phrase = rpassword::prompt_password("Mnemonic: ").map_err(key_err)?;
            } else {
                std::io::stdin().read_to_string(&mut phrase).map_err(key_err)?;
            }
            let pass = new_passphrase(ctx, !keyring.backend().is_insecure())?;
            let info = keyring.import(&name, &pass, phrase.trim(), index).map_err(key_err)?;
            ctx.out.print(&serde_json::json!({"name": info.name, "address": info.address}), || {
                format!("imported key {} with address {}", info.name, info.address)
            });
        }
        KeysCmd::Export { name } => {
            ctx.ask(
                &format!("This prints the mnemonic of key {name}: anyone who sees it controls the account."),
                "print the mnemonic",
            )?;
            let pass = if !keyring.backend().is_insecure() {
                ctx.passphrase(&format!("Passphrase for key {name}: "))?
            } else {
                String::new()
            };
            let mnemonic = keyring.export(&name, &pass).map_err(key_err)?;
            let phrase = mnemonic.phrase();
            ctx.out.print(&serde_json::json!({"name": name, "mnemonic": phrase.as_str()}), || phrase.to_string());
        }
        KeysCmd::Delete { name } => {
            ctx.ask(
                &format!("Key {name} will be deleted: without its mnemonic the account cannot be recovered."),
                "delete the key",
            )?;
            keyring.delete(&name).map_err(key_err)?;
            ctx.out.print(&serde_json::json!({"deleted": name}), || format!("deleted key {name}"));
        }
    }
    Ok(())
}
