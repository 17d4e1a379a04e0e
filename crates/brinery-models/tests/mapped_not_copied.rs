//! Loading a large checkpoint maps its weights instead of reading them:
//! the process's resident memory stays far below the file size until the
//! tensors' bytes are touched. (Its own test binary, so no other test's
//! allocations move the measurement.)

use brinery::pickle::{self, DumpOptions};
use brinery::value::{Constructor, Object};
use brinery::Value;
use brinery_models::torch::{self, LoadOptions};
use brinery_models::MappedFile;
use std::io::Write;

const TENSORS: usize = 64;
const TENSOR_BYTES: usize = 4 << 20; // 64 × 4 MiB = 256 MiB of weights

/// Resident memory of this process, from /proc/self/status.
fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<usize>().unwrap() * 1024
}

/// `torch._utils._rebuild_tensor_v2(<storage key>, 0, (n,), (1,), False, OrderedDict())`
/// as torch pickles it, for a float32 storage of `n` elements.
fn tensor(key: usize, n: usize) -> Value<'static> {
    let pid = Value::tuple([
        Value::from("storage"),
        Value::global("torch", "FloatStorage"),
        Value::from(key.to_string()),
        Value::from("cpu"),
        Value::from(n as i64),
    ]);
    let storage = Value::Object(Object::new(Constructor::Persistent { pid, text: false }, vec![]));
    let hooks = Value::Object(Object::new(
        Constructor::Reduce { callable: Value::global("collections", "OrderedDict"), args: Value::tuple::<Value>([]) },
        vec![],
    ));
    let args = Value::tuple([storage, 0.into(), Value::tuple([n as i64]), Value::tuple([1]), false.into(), hooks]);
    Value::Object(Object::new(
        Constructor::Reduce { callable: Value::global("torch._utils", "_rebuild_tensor_v2"), args },
        vec![],
    ))
}

/// Writes a ZIP checkpoint laid out as `torch.save` lays it out.
fn write_checkpoint(path: &std::path::Path) {
    let n = TENSOR_BYTES / 4;
    let state = Value::dict((0..TENSORS).map(|i| (format!("layers.{i}.weight"), tensor(i, n))));
    let data_pkl = pickle::dumps(&state, &DumpOptions::protocol(2)).unwrap();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored).with_alignment(64);
    zip.start_file("big/data.pkl", stored).unwrap();
    zip.write_all(&data_pkl).unwrap();
    zip.start_file("big/byteorder", stored).unwrap();
    zip.write_all(b"little").unwrap();
    let weights: Vec<u8> = (0..TENSOR_BYTES).map(|i| (i % 251) as u8 | 1).collect();
    for i in 0..TENSORS {
        zip.start_file(format!("big/data/{i}"), stored).unwrap();
        zip.write_all(&weights).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn weights_stay_on_disk_until_touched() {
    let path = std::env::temp_dir().join(format!("brinery-mapped-{}.pt", std::process::id()));
    write_checkpoint(&path);
    let size = std::fs::metadata(&path).unwrap().len() as usize;
    let before = rss_bytes();

    let file = MappedFile::open(&path).unwrap();
    let checkpoint = torch::load(&file, &LoadOptions::default()).unwrap();
    let tensors = checkpoint.tensors().unwrap();
    assert_eq!(tensors.len(), TENSORS);
    let metadata: usize = tensors.iter().map(|(_, t)| t.shape.iter().product::<usize>() * t.dtype.item_size()).sum();
    assert_eq!(metadata, TENSORS * TENSOR_BYTES);
    let after_load = rss_bytes().saturating_sub(before);

    // Touch every byte: now the mapped pages become resident.
    let checksum: u64 =
        tensors.iter().map(|(_, t)| t.data().unwrap().unwrap().iter().map(|&b| b as u64).sum::<u64>()).sum();
    assert!(checksum > 0);
    let after_touch = rss_bytes().saturating_sub(before);
    std::fs::remove_file(&path).unwrap();

    eprintln!("file {size} bytes; RSS grew {after_load} bytes by loading, {after_touch} after touching every tensor");
    assert!(after_load < size / 20, "loading made {after_load} bytes resident for a {size}-byte file");
    assert!(
        after_touch > size / 2,
        "touching the tensors made only {after_touch} bytes resident: the measure is blind"
    );
}
