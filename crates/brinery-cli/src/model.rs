//! `brinery show` and `brinery convert --to safetensors` on model files:
//! a table of a checkpoint's tensors, and a safe conversion.

use anyhow::{bail, Context, Result};
use brinery::value::ReprOptions;
use brinery::Value;
use brinery_models::torch::{self, Checkpoint, LoadOptions};
use brinery_models::{joblib, numpy, safetensors, Error, MappedFile};
use std::fmt::Write as _;
use std::path::Path;

/// Whether the file at `path` is a PyTorch checkpoint (read by content).
pub(crate) fn is_checkpoint(path: &Path) -> bool {
    path.as_os_str() != "-" && MappedFile::open(path).is_ok_and(|file| torch::sniff(&file).is_some())
}

fn load<'a>(file: &'a MappedFile, name: &str, allow_unsafe: bool) -> Result<Checkpoint<'a>> {
    let opts = LoadOptions { allow_unsafe, ..Default::default() };
    torch::load(file, &opts).map_err(|e| bad_model(name, e))
}

/// A model file that could not be read, as bad input; a refusal lists the
/// first findings and says how to read the file anyway.
fn bad_model(name: &str, e: Error) -> anyhow::Error {
    match e {
        Error::Unsafe { verdict, findings } => {
            let mut msg = format!("{name}: refusing to read it: the scan verdict is {verdict}");
            for f in findings.iter().take(5) {
                let _ = write!(msg, "\n  {f}");
            }
            if findings.len() > 5 {
                let _ = write!(msg, "\n  … and {} more", findings.len() - 5);
            }
            msg.push_str("\n(--allow-unsafe reads it anyway; nothing in it is run either way)");
            crate::BadInput(msg).into()
        }
        other => crate::BadInput(format!("{name}: {other}")).into(),
    }
}

/// Prints the checkpoint's tensors as a table, then its other values.
pub(crate) fn show(path: &Path, allow_unsafe: bool, opts: ReprOptions) -> Result<()> {
    let name = path.display().to_string();
    let file = MappedFile::open(path).with_context(|| format!("opening {name}"))?;
    let checkpoint = load(&file, &name, allow_unsafe)?;
    let tensors = checkpoint.tensors().map_err(|e| crate::BadInput(format!("{name}: {e}")))?;
    let mut out = format!(
        "{name}: {}, byte order {}, scan verdict {}\n",
        checkpoint.format.name(),
        checkpoint.byte_order.name(),
        checkpoint.report.verdict(false)
    );
    let rows: Vec<[String; 4]> = tensors
        .iter()
        .map(|(n, t)| {
            let mut shape = format!("{:?}", t.shape);
            if !t.is_contiguous() {
                shape.push_str(" strided");
            }
            [n.clone(), t.dtype.to_string(), shape, human_size(t.nbytes())]
        })
        .collect();
    out.push_str(&table(&rows));
    let storages: std::collections::HashSet<&str> = tensors.iter().map(|(_, t)| t.storage_key).collect();
    let bytes: usize = checkpoint.storages().filter(|s| storages.contains(s.key.as_str())).map(|s| s.len()).sum();
    let _ = writeln!(out, "{} tensors in {} storages, {}", tensors.len(), storages.len(), human_size(bytes));
    let metadata = other_values(&checkpoint.root, &tensors);
    if !metadata.is_empty() {
        out.push_str("other values:\n");
        for (key, value) in metadata {
            let _ = writeln!(out, "  {key}: {}", value.repr_with(opts));
        }
    }
    crate::write_output(&"-".into(), out.as_bytes())
}

/// Rows of `name, dtype, shape, size` as aligned columns under a header.
fn table(rows: &[[String; 4]]) -> String {
    let header = ["name", "dtype", "shape", "size"].map(String::from);
    let widths: Vec<usize> =
        (0..4).map(|c| rows.iter().chain([&header]).map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in [&header].into_iter().chain(rows) {
        let _ = writeln!(
            out,
            "{:w0$}  {:w1$}  {:w2$}  {:>w3$}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
    }
    out
}

/// Which array file `path` holds, read by content: `.npy`, `.npz` (a ZIP
/// of `.npy` members), or a joblib file (compressed as a whole, or a pickle
/// naming joblib's `NumpyArrayWrapper`).
pub(crate) fn array_file_kind(path: &Path) -> Option<&'static str> {
    if path.as_os_str() == "-" {
        return None;
    }
    let file = MappedFile::open(path).ok()?;
    match brinery_formats::sniff(&file) {
        brinery_formats::Format::Npy => Some("npy"),
        brinery_formats::Format::Zip => {
            let archive = brinery_formats::zip::read_directory(&file, &Default::default()).ok()?;
            let all_npy = !archive.members.is_empty() && archive.members.iter().all(|m| m.name.ends_with(".npy"));
            all_npy.then_some("npz")
        }
        brinery_formats::Format::Compressed(_) => Some("joblib"),
        brinery_formats::Format::Other => file.windows(17).any(|w| w == b"NumpyArrayWrapper").then_some("joblib"),
        brinery_formats::Format::SevenZ => None,
    }
}

/// One table row for a numpy array.
fn array_row(name: String, array: &numpy::Array<'_>) -> [String; 4] {
    let mut shape = format!("{:?}", array.shape);
    if array.fortran_order {
        shape.push_str(" F-order");
    }
    let size = match &array.data {
        numpy::Data::Bytes(bytes) => human_size(bytes.len()),
        numpy::Data::Pickled(_) => "objects".to_string(),
    };
    [name, array.dtype.descr.clone(), shape, size]
}

/// `brinery show` on a `.npy`, `.npz` or joblib file: a table of its
/// arrays, then (joblib) the object they are part of.
pub(crate) fn show_arrays(path: &Path, kind: &str, allow_unsafe: bool, opts: ReprOptions) -> Result<()> {
    let name = path.display().to_string();
    let file = MappedFile::open(path).with_context(|| format!("opening {name}"))?;
    let bad = |e: Error| bad_model(&name, e);
    let mut out = String::new();
    match kind {
        "npy" | "npz" => {
            let opts_np = numpy::LoadOptions { allow_pickle: true, allow_unsafe, ..Default::default() };
            let arrays = if kind == "npy" {
                let stem = path.file_stem().map_or_else(|| name.clone(), |s| s.to_string_lossy().into_owned());
                vec![(stem, numpy::load_npy(&file, &opts_np).map_err(bad)?)]
            } else {
                numpy::load_npz(&file, &opts_np).map_err(bad)?
            };
            let _ = writeln!(out, "{name}: {kind}, {} array(s)", arrays.len());
            let rows: Vec<_> = arrays.iter().map(|(n, a)| array_row(n.clone(), a)).collect();
            out.push_str(&table(&rows));
        }
        _ => {
            let loaded =
                joblib::load(&file, &joblib::LoadOptions { allow_unsafe, ..Default::default() }).map_err(bad)?;
            let arrays = loaded.arrays();
            let _ = writeln!(
                out,
                "{name}: joblib, {} array(s), scan verdict {}",
                arrays.len(),
                loaded.report.verdict(false)
            );
            let rows: Vec<_> = arrays.iter().map(|(p, a)| array_row(p.clone(), a)).collect();
            out.push_str(&table(&rows));
            let _ = writeln!(out, "object (arrays as joblib's NumpyArrayWrapper):\n{}", loaded.root.repr_with(opts));
        }
    }
    crate::write_output(&"-".into(), out.as_bytes())
}

/// The root dict's entries that hold no tensor (epoch, config, optimizer
/// hyper-parameters…).
fn other_values<'v, 'a>(root: &'v Value<'a>, tensors: &[(String, torch::Tensor<'_>)]) -> Vec<(String, &'v Value<'a>)> {
    let Some(pairs) = root.as_dict() else { return Vec::new() };
    pairs
        .iter()
        .map(|(k, v)| (k.as_str().map(str::to_string).unwrap_or_else(|| k.to_string()), v))
        .filter(|(key, _)| !tensors.iter().any(|(n, _)| n == key || n.starts_with(&format!("{key}."))))
        .collect()
}

/// `1.5 MiB`-style sizes.
fn human_size(bytes: usize) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < units.len() {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{size:.1} {}", units[unit])
    }
}

/// Writes the checkpoint's tensors as safetensors and says what it decided.
pub(crate) fn to_safetensors(input: &Path, output: &Path, allow_unsafe: bool, skip_unsupported: bool) -> Result<()> {
    if output.as_os_str() == "-" {
        bail!(crate::convert::Usage("--to safetensors needs an output file: -o FILE".into()));
    }
    let name = input.display().to_string();
    let file = MappedFile::open(input).with_context(|| format!("opening {name}"))?;
    let checkpoint = load(&file, &name, allow_unsafe)?;
    let bad = |e: Error| crate::BadInput(format!("{name}: {e}"));
    let tensors = safetensors::tensors_to_convert(&checkpoint).map_err(bad)?;
    let plan = safetensors::plan(tensors, skip_unsupported)
        .map_err(|e| crate::BadInput(format!("{name}: {e} (--skip-unsupported leaves such tensors out)")))?;
    safetensors::write(&plan, output).map_err(|e| anyhow::anyhow!("{e}"))?;
    let bytes: usize = plan.tensors.iter().map(|(_, t)| t.nbytes()).sum();
    say!("wrote {} tensors ({}) to {}", plan.tensors.len(), human_size(bytes), output.display());
    for (dropped, kept) in &plan.dropped {
        say!("  {dropped}: shares memory with {kept}, written once as {kept} (recorded in the metadata)");
    }
    for (skipped, dtype) in &plan.skipped {
        say!("  {skipped}: left out, safetensors has no type for torch.{dtype}");
    }
    for strided in &plan.made_contiguous {
        say!("  {strided}: strided in the checkpoint, written as a contiguous copy");
    }
    if checkpoint.byte_order == torch::ByteOrder::Big {
        say!("  the checkpoint is big-endian: every tensor was byte-swapped to little-endian");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_like_ls_h() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 << 30), "3.0 GiB");
    }
}
