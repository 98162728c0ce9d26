//! `edgeway openapi`: the app's OpenAPI 3.1 document, the one the gateway serves.
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use edgeway_manifest::Manifest;

#[derive(Args)]
pub struct OpenApiArgs {
    /// Write the document to this file instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub fn write(manifest_path: &Path, args: OpenApiArgs) -> anyhow::Result<()> {
    let manifest = Manifest::load(manifest_path)?;
    let document = edgeway_openapi::to_json(&manifest);
    match args.output {
        Some(path) => std::fs::write(&path, document)
            .with_context(|| format!("cannot write {}", path.display())),
        None => {
            print!("{document}");
            Ok(())
        }
    }
}
