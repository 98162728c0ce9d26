//! `edgeway events`: what happened to the app's events. `dead-letters` lists the events a
//! subscriber failed after its last attempt, as the gateway wrote them to the key-value
//! store (the local host's, or the Redis store a runtime config file names).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use edgeway_events::DEAD_LETTER_PREFIX;
use edgeway_host::{KeyValueStore, parse_runtime_config};
use edgeway_manifest::Manifest;
use serde_json::Value;

#[derive(Subcommand)]
pub enum EventsCommand {
    /// List the dead letters, oldest first.
    DeadLetters(DeadLetterArgs),
}

#[derive(Args)]
pub struct DeadLetterArgs {
    /// Print each dead letter as one JSON line (the event in CloudEvents structured mode).
    #[arg(long)]
    json: bool,
    /// Spin's runtime config file, when the store is not the local SQLite one (as given
    /// to `edgeway up` or `spin up`).
    #[arg(long)]
    runtime_config_file: Option<PathBuf>,
    /// Where the local host keeps its stores [default: .edgeway/key-value beside the
    /// manifest].
    #[arg(long)]
    key_value_dir: Option<PathBuf>,
}

pub fn run(manifest_path: &Path, command: EventsCommand) -> anyhow::Result<()> {
    match command {
        EventsCommand::DeadLetters(args) => dead_letters(manifest_path, args),
    }
}

fn dead_letters(manifest_path: &Path, args: DeadLetterArgs) -> anyhow::Result<()> {
    let manifest = Manifest::load(manifest_path)?;
    let backends = match &args.runtime_config_file {
        Some(path) => parse_runtime_config(path)?,
        None => BTreeMap::new(),
    };
    let key_value_dir = args
        .key_value_dir
        .unwrap_or_else(|| manifest.dir().join(".edgeway/key-value"));
    let label = &manifest.events.dead_letters;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let letters = runtime.block_on(async {
        let store = KeyValueStore::open(&key_value_dir, &backends, label).await?;
        let mut letters = Vec::new();
        for key in store.keys_with_prefix(DEAD_LETTER_PREFIX).await? {
            if let Some(value) = store.get(&key).await? {
                let letter: Value = serde_json::from_slice(&value)
                    .with_context(|| format!("the dead letter `{key}` is not JSON"))?;
                letters.push(letter);
            }
        }
        anyhow::Ok(letters)
    })?;
    if args.json {
        for letter in &letters {
            println!("{letter}");
        }
        return Ok(());
    }
    if letters.is_empty() {
        println!("No dead letters in the `{label}` store.");
        return Ok(());
    }
    println!("{} dead letter(s) in the `{label}` store:", letters.len());
    for letter in &letters {
        let text = |value: &Value| value.as_str().unwrap_or("-").to_owned();
        println!(
            "  {}  {} from {}  event {} ({})  after {} attempt(s): {}",
            text(&letter["failed_at"]),
            text(&letter["handler"]),
            text(&letter["source"]),
            text(&letter["event"]["id"]),
            text(&letter["event"]["type"]),
            letter["attempts"],
            text(&letter["error"]),
        );
    }
    Ok(())
}
