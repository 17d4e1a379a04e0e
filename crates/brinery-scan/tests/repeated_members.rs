//! A ZIP whose directory lists one member thousands of times (or whose
//! nested archives overlap the file that holds them) has that member's data
//! scanned once; the repeats are one anomaly, and the verdict is unchanged.
//! Before, a 29 KB fuzz input made 477 802 findings, a 176 MB report and a
//! 1.1 GB peak.

#[path = "../../brinery/tests/support/files.rs"]
mod files;

use brinery_scan::{scan_bytes, ScanOptions, Verdict};
use std::io::Write;

/// `os.system('echo hi')` as protocol 2 would call it.
const DANGEROUS: &[u8] = b"\x80\x02cos\nsystem\nq\x00X\x07\x00\x00\x00echo hiq\x01\x85q\x02Rq\x03.";

/// A stored ZIP holding `archive/data.pkl`, with its central directory
/// entry written `copies` times, all pointing at the one local header; the
/// copies after the first are renamed `archive/0001.pkl`, … (the zip crate
/// keeps one entry per name).
fn zip_listing_one_member(copies: u16) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    writer.start_file("archive/data.pkl", stored).unwrap();
    writer.write_all(DANGEROUS).unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    // End of central directory: the last 22 bytes (no comment).
    let eocd = bytes.len() - 22;
    assert_eq!(&bytes[eocd..eocd + 4], b"PK\x05\x06");
    let size = u32::from_le_bytes(bytes[eocd + 12..eocd + 16].try_into().unwrap()) as usize;
    let offset = u32::from_le_bytes(bytes[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
    let entry = &bytes[offset..offset + size];
    let mut out = bytes[..offset].to_vec();
    for copy in 0..copies {
        let mut entry = entry.to_vec();
        if copy > 0 {
            // The name follows the 46-byte fixed part; same length, new text.
            entry[46..62].copy_from_slice(format!("archive/{copy:04}.pkl").as_bytes());
        }
        out.extend_from_slice(&entry);
    }
    let mut end = bytes[eocd..].to_vec();
    end[8..10].copy_from_slice(&copies.to_le_bytes());
    end[10..12].copy_from_slice(&copies.to_le_bytes());
    end[12..16].copy_from_slice(&(size as u32 * u32::from(copies)).to_le_bytes());
    out.extend_from_slice(&end);
    out
}

#[test]
fn a_member_listed_many_times_is_scanned_once() {
    let data = zip_listing_one_member(5000);
    let report = scan_bytes(&data, "repeated.zip", &ScanOptions::default());
    assert_eq!(report.verdict(false), Verdict::Dangerous, "{:?}", report.errors);
    assert_eq!(report.streams.len(), 1, "the pickle was scanned {} times", report.streams.len());
    let repeats: Vec<_> = report.anomalies.iter().filter(|(_, f)| f.what.contains("more entries point at")).collect();
    assert_eq!(repeats.len(), 1, "{:?}", report.anomalies);
    assert_eq!(repeats[0].0, "archive/data.pkl");
    assert!(repeats[0].1.what.starts_with("4999 more entries"), "{}", repeats[0].1.what);
}

/// A stored ZIP holding `data.pkl` = `pickle`.
fn zip_of(pickle: &[u8]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    writer.start_file("data.pkl", stored).unwrap();
    writer.write_all(pickle).unwrap();
    writer.finish().unwrap().into_inner()
}

#[test]
fn equal_layouts_in_decompressed_archives_are_not_taken_for_repeats() {
    // Two deflated archives, each holding one stored `data.pkl` of the same
    // size at the same offset: a harmless one, then the payload. Each is
    // decompressed into a buffer of its own, which the allocator may well
    // place where the previous one was; the second must still be scanned.
    let harmless = b"\x80\x02X\x07\x00\x00\x00echo hiq\x00\x85q\x01q\x02q\x03q\x04q\x05q\x06q\x07q\x08q\x09.";
    assert_eq!(harmless.len(), DANGEROUS.len());
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, pickle) in [("a.zip", &harmless[..]), ("b.zip", DANGEROUS)] {
        writer.start_file(name, deflated).unwrap();
        writer.write_all(&zip_of(pickle)).unwrap();
    }
    let data = writer.finish().unwrap().into_inner();
    let report = scan_bytes(&data, "nested.zip", &ScanOptions::default());
    assert_eq!(report.streams.len(), 2, "{:?}", report.streams);
    assert_eq!(report.verdict(false), Verdict::Dangerous);
}

#[test]
fn a_member_listed_once_gets_no_repeat_anomaly() {
    let data = zip_listing_one_member(1);
    let report = scan_bytes(&data, "single.zip", &ScanOptions::default());
    assert_eq!(report.verdict(false), Verdict::Dangerous);
    assert_eq!(report.streams.len(), 1);
    assert!(report.anomalies.iter().all(|(_, f)| !f.what.contains("more entries point at")), "{:?}", report.anomalies);
}

#[test]
fn overlapping_nested_archives_keep_the_report_small() {
    // The fuzz input behind the fix: nested stored archives overlapping the
    // file around them, each holding the same pickles.
    let path = files::workspace_dir("fuzz/corpus-min/scan_bytes/cc9563b956de9265e5411576c31f2b9928e849c4");
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let report = scan_bytes(&data, "overlapping.zip", &ScanOptions::default());
    assert_eq!(report.verdict(false), Verdict::Dangerous);
    let findings = report.findings().count();
    assert!(findings < 1000, "{findings} findings for a {}-byte file", data.len());
    assert!(report.streams.len() < 100, "{} streams", report.streams.len());
}
