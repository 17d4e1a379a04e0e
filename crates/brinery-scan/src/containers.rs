//! Walking containers down to the pickles in them: ZIP members (PyTorch
//! checkpoints, TorchScript archives, `.npz`), `.npy` object arrays,
//! compressed joblib files, and raw or stacked pickles. Detection is by
//! content at every level, never by name.

use crate::policy::Class;
use crate::report::{FileReport, Finding, FindingKind};
use crate::stream::{join, looks_like_pickle, scan_stacked, Ctx};
use brinery_formats::{compress, npy, sevenz, sniff, zip, Format, Limits};
use std::cell::{Cell, RefCell};
use std::collections::hash_map::{Entry, HashMap};

/// Deepest nesting of containers followed (a zip in a zip in a gzip …).
const MAX_DEPTH: u32 = 8;

pub(crate) struct Walker<'p> {
    pub(crate) ctx: Ctx<'p>,
    pub(crate) limits: Limits,
    /// What one file may still make the scan open, nested archives included.
    budget: Cell<Budget>,
    /// The file's bytes (address and length), once the walk has started.
    file: Cell<Option<(usize, usize)>>,
    /// Every ZIP member met in the file's own bytes, by where its local
    /// header is in the file, its sizes and its method (see [`Walker::seen_before`]).
    seen_members: RefCell<HashMap<(u64, u64, u64, u16), FirstMember>>,
}

/// Where a member was first met, and how many entries met it again.
struct FirstMember {
    location: String,
    header_offset: u64,
    repeats: usize,
}

/// The whole file's allowance: archives nested in archives (even a few
/// levels of overlapping members) would otherwise multiply the work.
#[derive(Clone, Copy)]
struct Budget {
    /// Members (listed, hidden or in 7z) left to open: `Limits::max_members` in all.
    members: usize,
    /// Bytes left to walk below the top level (nested containers,
    /// decompressed streams, pickles): `Limits::max_output` in all.
    bytes: u64,
    /// The error was reported; everything after it is skipped quietly.
    exhausted: bool,
}

fn anomaly(what: String, offset: u64, why: &str) -> Finding {
    Finding { class: Class::Unknown, kind: FindingKind::Anomaly, offset, opcode: None, what, why: why.to_string() }
}

impl<'p> Walker<'p> {
    pub(crate) fn new(ctx: Ctx<'p>, limits: Limits) -> Self {
        let budget = Budget { members: limits.max_members, bytes: limits.max_output, exhausted: false };
        Walker {
            ctx,
            limits,
            budget: Cell::new(budget),
            file: Cell::new(None),
            seen_members: RefCell::new(HashMap::new()),
        }
    }

    /// Takes `members` and `bytes` from the file's budget; `false` (and one
    /// error in the report) once it is spent.
    fn charge(&self, members: usize, bytes: usize, location: &str, report: &mut FileReport) -> bool {
        let mut b = self.budget.get();
        if b.exhausted {
            return false;
        }
        match (b.members.checked_sub(members), b.bytes.checked_sub(bytes as u64)) {
            (Some(m), Some(n)) => {
                b.members = m;
                b.bytes = n;
                self.budget.set(b);
                true
            }
            _ => {
                b.exhausted = true;
                self.budget.set(b);
                report.errors.push(format!(
                    "{location}: the file opens more than {} members or {} bytes in all (nested archives \
                     included); the rest is not scanned",
                    self.limits.max_members, self.limits.max_output
                ));
                false
            }
        }
    }

    /// Scans `data` found at `location`, adding to `report`.
    pub(crate) fn walk(&self, data: &[u8], location: &str, depth: u32, report: &mut FileReport) {
        if depth > MAX_DEPTH {
            report.errors.push(format!("{location}: containers nested deeper than {MAX_DEPTH} levels"));
            return;
        }
        let format = sniff(data);
        if depth == 0 {
            report.format = format.name().to_string();
            self.file.set(Some((data.as_ptr() as usize, data.len())));
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
                Ok(inner) if !self.charge(0, inner.len(), location, report) => {}
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
                        if !self.charge(1, 0, &at, report) {
                            return;
                        }
                        match entry.data {
                            Ok(bytes) => self.member(&bytes, &entry.name, &at, depth, false, report),
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
        if depth == 0 {
            self.report_repeats(report);
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
        // A nested archive costs what reading it beyond its members' data
        // takes (directory, headers, the sweep for hidden members); its
        // members are charged one by one below.
        if depth > 0 && !self.charge(0, usize::try_from(archive.swept).unwrap_or(usize::MAX), location, report) {
            return;
        }
        for mut member in archive.members {
            let at = join(location, &member.name);
            if self.seen_before(data, &member, &at) {
                continue;
            }
            if !self.charge(1, 0, &at, report) {
                return;
            }
            let bytes = match member.data(data, &self.limits) {
                Ok(b) => b,
                Err(e) => {
                    report.errors.push(format!("{at}: {e}"));
                    continue;
                }
            };
            let format = sniff(&bytes);
            if format == Format::Other && !looks_like_pickle(&bytes) {
                continue; // tensor data, source code, version files
            }
            // A stored archive in the archive (a checkpoint in a ZIP of
            // checkpoints) is walked in place, never read through: its own
            // members get their CRC checked when they are read.
            let in_place = format == Format::Zip && member.method == 0;
            if !in_place {
                member.check_crc(&bytes);
            }
            for a in std::mem::take(&mut member.anomalies) {
                report.anomalies.push((
                    at.clone(),
                    anomaly(a, member.header_offset, "ZIP readers disagree on this member; it is scanned anyway"),
                ));
            }
            self.member(&bytes, &member.name, &at, depth, in_place, report);
        }
    }

    /// Whether `member` of the archive `data` is a member already met in
    /// this file: the same local header (anywhere in the file, so overlapping
    /// nested archives count too), sizes and method. A repeat is counted and
    /// skipped: otherwise a small file whose entries (or nested copies of
    /// itself) all point at one pickle has it scanned thousands of times.
    /// Only archives that are part of the file itself are checked: a buffer
    /// decompressed from it is gone after its walk, and the next one could
    /// sit at the same address with other bytes.
    fn seen_before(&self, data: &[u8], member: &zip::Member, at: &str) -> bool {
        let Some(archive_at) = self.offset_in_file(data) else {
            return false;
        };
        let header = archive_at.saturating_add(member.header_offset);
        let key = (header, member.compressed_size, member.size, member.method);
        let mut seen = self.seen_members.borrow_mut();
        match seen.entry(key) {
            Entry::Occupied(mut first) => {
                first.get_mut().repeats += 1;
                true
            }
            Entry::Vacant(slot) => {
                slot.insert(FirstMember { location: at.to_string(), header_offset: member.header_offset, repeats: 0 });
                false
            }
        }
    }

    /// Where `data` starts in the file being scanned, when it is part of it
    /// (the file, or a stored archive in it walked in place).
    fn offset_in_file(&self, data: &[u8]) -> Option<u64> {
        let (start, len) = self.file.get()?;
        let at = (data.as_ptr() as usize).checked_sub(start)?;
        (at.checked_add(data.len())? <= len).then_some(at as u64)
    }

    /// One anomaly per member that more entries pointed at, in file order.
    fn report_repeats(&self, report: &mut FileReport) {
        let mut repeated: Vec<FirstMember> =
            self.seen_members.borrow_mut().drain().map(|(_, first)| first).filter(|f| f.repeats > 0).collect();
        repeated.sort_unstable_by(|a, b| (&a.location, a.header_offset).cmp(&(&b.location, b.header_offset)));
        for first in repeated {
            let what = format!("{} more entries point at the data of this member", first.repeats);
            let why = "overlapping or repeated ZIP entries; only the first one's data is examined";
            report.anomalies.push((first.location, anomaly(what, first.header_offset, why)));
        }
    }

    /// An archive member: a nested container, a pickle, or something else
    /// (skipped). What is walked is charged by its size, but for a stored
    /// ZIP walked `in_place`, which [`zip`](Self::zip) charges by what it reads.
    fn member(&self, bytes: &[u8], name: &str, at: &str, depth: u32, in_place: bool, report: &mut FileReport) {
        let nested = sniff(bytes);
        let walked = nested != Format::Other || looks_like_pickle(bytes);
        if walked && !in_place && !self.charge(0, bytes.len(), at, report) {
            return;
        }
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

#[cfg(test)]
mod tests {
    use crate::{scan_bytes, ScanOptions, Verdict};

    /// A ZIP holding `copies` stored copies of `member`.
    fn zip_of_copies(member: &[u8], copies: usize) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for i in 0..copies {
            w.start_file(format!("m{i}"), opts).unwrap();
            std::io::Write::write_all(&mut w, member).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// Archives of archives: 3 copies per level, 6 levels, 729 pickles and
    /// 1 092 members in all.
    fn nested_archives() -> Vec<u8> {
        (0..6).fold(b"\x80\x02K\x01.".to_vec(), |inner, _| zip_of_copies(&inner, 3))
    }

    #[test]
    fn nested_archives_are_walked_whole_within_the_budget() {
        let report = scan_bytes(&nested_archives(), "nested.zip", &ScanOptions::default());
        assert_eq!(report.streams.len(), 729);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.verdict(false), Verdict::Safe);
    }

    /// A stored ZIP of stored checkpoints: the inner archive's tensor bytes
    /// are neither read (CRC) nor charged; only what the scan reads is.
    #[test]
    fn a_stored_archive_inside_an_archive_is_charged_by_what_is_read_of_it() {
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        let mut inner = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        inner.start_file("ckpt/data.pkl", stored).unwrap();
        std::io::Write::write_all(&mut inner, b"\x80\x02}q\x00.").unwrap();
        inner.start_file("ckpt/data/0", stored).unwrap();
        std::io::Write::write_all(&mut inner, &vec![0x3f; 200_000]).unwrap();
        let inner = inner.finish().unwrap().into_inner();
        let outer = zip_of_copies(&inner, 2);
        let opts =
            ScanOptions { limits: crate::Limits { max_output: 10_000, ..Default::default() }, ..Default::default() };
        let report = scan_bytes(&outer, "checkpoints.zip", &opts);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(report.streams.len(), 2);
        assert_eq!(report.verdict(false), Verdict::Safe);
    }

    /// Fan-out multiplies across levels, so the members and bytes one file
    /// may open are counted across all of them: past the budget the scan
    /// stops with one error (the verdict is then at least `error`).
    #[test]
    fn nested_archives_past_the_budget_stop_with_one_error() {
        let data = nested_archives();
        let few_members =
            ScanOptions { limits: crate::Limits { max_members: 100, ..Default::default() }, ..Default::default() };
        let few_bytes =
            ScanOptions { limits: crate::Limits { max_output: 10_000, ..Default::default() }, ..Default::default() };
        for opts in [few_members, few_bytes] {
            let report = scan_bytes(&data, "nested.zip", &opts);
            assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
            assert!(report.errors[0].contains("in all (nested archives included)"), "{}", report.errors[0]);
            assert!(report.streams.len() < 100);
            assert_eq!(report.verdict(false), Verdict::Error);
        }
    }
}
