//! A [`FileReport`] as a plain [`Value`] (dicts, lists, strings, ints): the
//! shape `brinery scan --format json` prints for each file and the Python
//! module's `brinery.scan` returns.

use crate::report::{FileReport, Finding, GlobalRef, StreamReport};
use brinery::Value;

impl FileReport {
    /// The report as a `Value`: `path`, `format`, `verdict` (as
    /// [`verdict`](FileReport::verdict) judges it with `strict`), `findings`
    /// (with where each was found), `streams` (each pickle with the globals
    /// it names, in order) and `errors`.
    ///
    /// ```
    /// use brinery_scan::{scan_bytes, ScanOptions};
    /// let report = scan_bytes(b"cposix\nsystem\n(Vid\ntR.", "evil.pkl", &ScanOptions::default());
    /// let v = report.to_value(false);
    /// assert_eq!(v["verdict"], "dangerous".into());
    /// assert_eq!(v["streams"][0]["globals"][0]["name"], "system".into());
    /// assert_eq!(v["findings"][0]["offset"], 0.into());
    /// ```
    pub fn to_value(&self, strict: bool) -> Value<'static> {
        Value::dict([
            ("path", Value::from(self.path.clone())),
            ("format", Value::from(self.format.clone())),
            ("verdict", Value::from(self.verdict(strict).as_str())),
            ("findings", Value::list(self.findings().map(|(at, f)| finding_value(at, f)))),
            ("streams", Value::list(self.streams.iter().map(stream_value))),
            ("errors", Value::list(self.errors.iter().map(|e| Value::from(e.clone())))),
        ])
    }
}

fn finding_value(location: &str, f: &Finding) -> Value<'static> {
    Value::dict([
        ("location", Value::from(location.to_string())),
        ("class", Value::from(f.class.as_str())),
        ("kind", Value::from(f.kind.as_str())),
        ("what", Value::from(f.what.clone())),
        ("offset", Value::from(f.offset)),
        ("opcode", Value::from(f.opcode)),
        ("why", Value::from(f.why.clone())),
    ])
}

fn stream_value(s: &StreamReport) -> Value<'static> {
    Value::dict([
        ("location", Value::from(s.location.clone())),
        ("start", Value::from(s.start)),
        ("length", Value::from(s.length)),
        ("class", Value::from(s.class().as_str())),
        ("globals", Value::list(s.globals.iter().map(global_value))),
        ("error", Value::from(s.error.clone())),
    ])
}

fn global_value(g: &GlobalRef) -> Value<'static> {
    Value::dict([
        ("module", Value::from(g.module.clone())),
        ("name", Value::from(g.name.clone())),
        ("offset", Value::from(g.offset)),
        ("opcode", Value::from(g.opcode)),
        ("attribute_walk", Value::from(g.walk)),
    ])
}
