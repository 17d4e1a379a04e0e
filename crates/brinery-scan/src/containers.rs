//! Walking containers down to the pickles in them: ZIP members (PyTorch
//! checkpoints, TorchScript archives, `.npz`), `.npy` object arrays,
//! compressed joblib files, and raw or stacked pickles. Detection is by
//! content at every level, never by name.

use crate::policy::Class;
use crate::report::{FileReport, Finding, FindingKind};
use crate::stream::{join, looks_like_pickle, scan_stacked, Ctx};
use brinery_formats::{compress, npy, sevenz, sniff, zip, Format, Limits};

/// Deepest nesting of containers followed (a zip in a zip in a gzip …).
const MAX_DEPTH: u32 = 8;

pub(crate) struct Walker<'p> {
    pub(crate) ctx: Ctx<'p>,
    pub(crate) limits: Limits,
}

fn anomaly(what: String, offset: u64, why: &str) -> Finding {
    Finding { class: Class::Unknown, kind: FindingKind::Anomaly, offset, opcode: None, what, why: why.to_string() }
}

impl Walker<'_> {
    /// Scans `data` found at `location`, adding to `report`.
    pub(crate) fn walk(&self, data: &[u8], location: &str, depth: u32, report: &mut FileReport) {
        if depth > MAX_DEPTH {
            report.errors.push(format!("{location}: containers nested deeper than {MAX_DEPTH} levels"));
            return;
        }
        let format = sniff(data);
        if depth == 0 {
            report.format = format.name().to_string();
        }
        match format {
            Format::Zip => self.zip(data, location, depth, report),
            Format::Npy => match npy::parse(data) {
                Ok(h) if h.has_object => {
                    let at = join(location, "npy object array");
                    let streams = scan_stacked(&data[h.data_offset..], &at, &self.ctx);
                    report.streams.extend(streams);
                }
                Ok(_) => {}
                Err(e) => report.errors.push(format!("{location}: .npy header: {e}")),
            },
            Format::Compressed(codec) => match compress::decompress(codec, data, &self.limits) {
                Ok(inner) => {
                    if depth == 0 {
                        report.format = format!("{}+{}", codec.name(), sniff(&inner).name());
                    }
                    self.walk(&inner, &join(location, codec.name()), depth + 1, report);
                }
                Err(e) => report.errors.push(format!("{location}: {} stream: {e}", codec.name())),
            },
            Format::SevenZ => match sevenz::read(data, &self.limits) {
                Ok(entries) => {
                    for entry in entries {
                        let at = join(location, &entry.name);
                        match entry.data {
                            Ok(bytes) => self.member(&bytes, &entry.name, &at, depth, report),
                            Err(e) => report.errors.push(format!("{at}: {e}")),
                        }
                    }
                }
                Err(e) => report.errors.push(format!("{location}: 7z: {e}")),
            },
            Format::Other => {
                let streams = scan_stacked(data, location, &self.ctx);
                report.streams.extend(streams);
            }
        }
    }

    fn zip(&self, data: &[u8], location: &str, depth: u32, report: &mut FileReport) {
        let archive = match zip::read(data, &self.limits) {
            Ok(a) => a,
            Err(e) => {
                report.errors.push(format!("{location}: ZIP: {e}"));
                return;
            }
        };
        for a in archive.anomalies {
            report.anomalies.push((location.to_string(), anomaly(a, 0, "ZIP readers disagree on this archive")));
        }
        for mut member in archive.members {
            let at = join(location, &member.name);
            let bytes = match member.data(data, &self.limits) {
                Ok(b) => b,
                Err(e) => {
                    report.errors.push(format!("{at}: {e}"));
                    continue;
                }
            };
            if sniff(&bytes) == Format::Other && !looks_like_pickle(&bytes) {
                continue; // tensor data, source code, version files
            }
            member.check_crc(&bytes);
            for a in std::mem::take(&mut member.anomalies) {
                report.anomalies.push((
                    at.clone(),
                    anomaly(a, member.header_offset, "ZIP readers disagree on this member; it is scanned anyway"),
                ));
            }
            self.member(&bytes, &member.name, &at, depth, report);
        }
    }

    /// An archive member: a nested container, a pickle, or something else (skipped).
    fn member(&self, bytes: &[u8], name: &str, at: &str, depth: u32, report: &mut FileReport) {
        let nested = sniff(bytes);
        if nested != Format::Other {
            self.walk(bytes, at, depth + 1, report);
            return;
        }
        if !looks_like_pickle(bytes) {
            return;
        }
        let streams = scan_stacked(bytes, at, &self.ctx);
        // A member that only *starts* like a pickle by chance (raw tensor bytes)
        // fails on its first opcodes with nothing found: not a pickle.
        let chance = streams.len() == 1
            && streams[0].error.is_some()
            && streams[0].globals.is_empty()
            && streams[0].findings.is_empty()
            && !name.ends_with(".pkl");
        if !chance {
            report.streams.extend(streams);
        }
    }
}
