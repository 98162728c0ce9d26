use wasmparser::{Parser, Payload};

/// What a component imports, exports and holds, read from its binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The top-level import names.
    pub imports: Vec<String>,
    /// The top-level export names.
    pub exports: Vec<String>,
    /// Linear memories defined by the core modules inside, at any depth. Each is
    /// instantiated once per instance of the component, which is what Spin's pooling
    /// allocator counts against its limit.
    pub memories: usize,
    /// The size in bytes.
    pub size: usize,
}

/// Why a component could not be inspected.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the component: {0}")]
pub struct InspectError(String);

impl Inspection {
    /// Imports whose package is not `wasi:` (a composed app should have none).
    pub fn non_wasi_imports(&self) -> Vec<&str> {
        self.imports
            .iter()
            .map(String::as_str)
            .filter(|name| !name.starts_with("wasi:"))
            .collect()
    }
}

/// Reads a component's top-level imports and exports and counts its linear memories.
pub fn inspect(wasm: &[u8]) -> Result<Inspection, InspectError> {
    let mut inspection = Inspection {
        imports: Vec::new(),
        exports: Vec::new(),
        memories: 0,
        size: wasm.len(),
    };
    // Depth of nesting: 1 inside the top-level component.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload.map_err(|e| InspectError(e.to_string()))?;
        match payload {
            Payload::Version { .. } => depth += 1,
            Payload::End(_) => depth -= 1,
            Payload::ComponentImportSection(reader) if depth == 1 => {
                for import in reader {
                    let import = import.map_err(|e| InspectError(e.to_string()))?;
                    inspection.imports.push(import.name.name.to_owned());
                }
            }
            Payload::ComponentExportSection(reader) if depth == 1 => {
                for export in reader {
                    let export = export.map_err(|e| InspectError(e.to_string()))?;
                    inspection.exports.push(export.name.name.to_owned());
                }
            }
            Payload::MemorySection(reader) => inspection.memories += reader.count() as usize,
            _ => {}
        }
    }
    Ok(inspection)
}
