//! The inputs of the tests that walk a folder (fuzz corpora, saved crashes,
//! fixtures): shared by the test binaries of several crates through `#[path]`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The workspace folder `relative` (say `fuzz/corpus-min/scan_bytes`).
pub fn workspace_dir(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(relative)
}

/// Every file of the workspace folder `relative` (dot-files left out) as
/// its name and bytes, sorted by name.
pub fn files_in(relative: &str) -> Vec<(String, Vec<u8>)> {
    let dir = workspace_dir(relative);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}
