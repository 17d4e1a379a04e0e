//! The `datetime` module's types as CPython pickles them.
//!
//! `date`, `datetime` and `time` reduce to `cls(state_bytes[, tzinfo])`: the
//! fields packed into 4, 10 or 6 bytes (`bytes` at every protocol once
//! loaded; a Python 2 pickle loaded with `encoding='latin1'` gives a `str`
//! of code points below 256, also accepted). From protocol 4 on, `fold=1`
//! sets the high bit of the month (datetime) or hour (time) byte.
//! `timedelta` reduces to `timedelta(days, seconds, microseconds)` and
//! `timezone` to `timezone(offset[, name])`.

use super::{describe, latin1_bytes, text, Call, ViewError};
use crate::value::Constructor;
use crate::Value;
use std::borrow::Cow;
use std::fmt;

fn err(view: &'static str, message: impl Into<String>) -> ViewError {
    ViewError::new(view, message)
}

/// The packed state: `bytes`, or a latin-1 `str` from a Python 2 pickle.
fn state_bytes<'v>(v: &'v Value<'_>) -> Option<Cow<'v, [u8]>> {
    match v {
        Value::Bytes(b) => Some(Cow::Borrowed(b.as_slice())),
        Value::Str(s) => latin1_bytes(s).map(Cow::Owned),
        _ => None,
    }
}

/// Integer argument `i` of a constructor call, or `default` when absent.
/// The fields of a `datetime`/`time` constructor call, `fold`, and where
/// its `tzinfo` argument would be: from the packed state bytes CPython
/// pickles (`packed_len` of them, read by `unpack`), or from `N` int
/// arguments (the pure-Python pickles; `default(i)` for a missing one).
fn time_fields<const N: usize>(
    view: &'static str,
    args: &[Value<'_>],
    packed_len: usize,
    unpack: impl Fn(&[u8]) -> ([i64; N], bool),
    default: impl Fn(usize) -> i64,
) -> Result<([i64; N], bool, usize), ViewError> {
    let (fields, fold, tz_at) = match args.first().and_then(state_bytes) {
        Some(b) if b.len() == packed_len => {
            let (fields, fold) = unpack(&b);
            (fields, fold, 1)
        }
        Some(b) => return Err(err(view, format!("the state has {} bytes, not {packed_len}", b.len()))),
        None => {
            let mut fields = [0i64; N];
            for (i, slot) in fields.iter_mut().enumerate() {
                *slot = int_arg(view, args, i, default(i))?;
            }
            (fields, false, N)
        }
    };
    if args.len() > tz_at + 1 {
        return Err(err(view, format!("{} arguments is too many", args.len())));
    }
    Ok((fields, fold, tz_at))
}

fn int_arg(view: &'static str, args: &[Value<'_>], i: usize, default: i64) -> Result<i64, ViewError> {
    match args.get(i) {
        None => Ok(default),
        Some(v) => v.as_i64().ok_or_else(|| err(view, format!("argument {} is {}, not an int", i + 1, describe(v)))),
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

fn check_date(view: &'static str, y: i64, m: i64, d: i64) -> Result<(), ViewError> {
    if !(1..=9999).contains(&y) {
        return Err(err(view, format!("year {y} is out of range")));
    }
    if !(1..=12).contains(&m) {
        return Err(err(view, format!("month {m} must be in 1..12")));
    }
    if !(1..=days_in_month(y, m)).contains(&d) {
        return Err(err(view, format!("day {d} is out of range for {y:04}-{m:02}")));
    }
    Ok(())
}

fn check_time(view: &'static str, h: i64, mi: i64, s: i64, us: i64) -> Result<(), ViewError> {
    if !(0..24).contains(&h) || !(0..60).contains(&mi) || !(0..60).contains(&s) || !(0..1_000_000).contains(&us) {
        return Err(err(view, format!("time {h}:{mi}:{s}.{us} is out of range")));
    }
    Ok(())
}

/// The optional `tzinfo` argument at position `i`.
fn tz_arg<'v, 'a>(args: &'v [Value<'a>], i: usize) -> Option<TzInfo<'v, 'a>> {
    match args.get(i) {
        None | Some(Value::None) => None,
        Some(v) => Some(TzInfo::from_value(v)),
    }
}

/// Writes `HH:MM:SS[.ffffff]`.
fn write_time(f: &mut fmt::Formatter<'_>, h: u8, m: u8, s: u8, us: u32) -> fmt::Result {
    write!(f, "{h:02}:{m:02}:{s:02}")?;
    if us != 0 {
        write!(f, ".{us:06}")?;
    }
    Ok(())
}

/// Writes a UTC offset as Python does: `+HH:MM[:SS[.ffffff]]`, after `prefix`.
fn write_offset(f: &mut fmt::Formatter<'_>, offset: &TimeDelta) -> fmt::Result {
    let total = offset.total_microseconds();
    let sign = if total < 0 { '-' } else { '+' };
    let total = total.unsigned_abs();
    let (secs, us) = (total / 1_000_000, total % 1_000_000);
    write!(f, "{sign}{:02}:{:02}", secs / 3600, secs / 60 % 60)?;
    if secs % 60 != 0 || us != 0 {
        write!(f, ":{:02}", secs % 60)?;
    }
    if us != 0 {
        write!(f, ".{us:06}")?;
    }
    Ok(())
}

/// Writes the offset of a fixed timezone, or `[key]` for a named zone whose
/// offset is not known without a time-zone database.
fn write_tz(f: &mut fmt::Formatter<'_>, tz: &Option<TzInfo<'_, '_>>) -> fmt::Result {
    match tz {
        None => Ok(()),
        Some(TzInfo::Fixed { offset, .. }) => write_offset(f, offset),
        Some(TzInfo::Zone(key)) => write!(f, "[{key}]"),
        Some(TzInfo::Other(_)) => f.write_str("[?]"),
    }
}

/// A `datetime.date`.
///
/// ```
/// use brinery::pickle::{loads, LoadOptions};
/// // pickle.dumps(datetime.date(2024, 2, 29), protocol=4)
/// let bytes = b"\x80\x04\x95 \x00\x00\x00\x00\x00\x00\x00\x8c\x08datetime\x94\x8c\x04date\x94\x93\x94C\x04\x07\xe8\x02\x1d\x94\x85\x94R\x94.";
/// let date = loads(bytes, &LoadOptions::default()).unwrap().as_date().unwrap().unwrap();
/// assert_eq!(date.to_string(), "2024-02-29");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Date {
    /// 1..=9999.
    pub year: u16,
    /// 1..=12.
    pub month: u8,
    /// 1..=31.
    pub day: u8,
}

impl Date {
    /// The date, if `v` is a pickled `datetime.date` (not a `datetime`).
    ///
    /// ```
    /// use brinery::view::Date;
    /// use brinery::Value;
    /// assert!(Date::from_value(&Value::from("2024-02-29")).unwrap().is_none());
    /// ```
    pub fn from_value(v: &Value<'_>) -> Result<Option<Date>, ViewError> {
        const VIEW: &str = "datetime.date";
        let Some(call) = Call::of(v) else { return Ok(None) };
        if !call.callable.is("datetime", "date") {
            return Ok(None);
        }
        let (y, m, d) = match call.args.first().and_then(state_bytes) {
            Some(b) if b.len() == 4 => (i64::from(b[0]) << 8 | i64::from(b[1]), i64::from(b[2]), i64::from(b[3])),
            Some(b) => return Err(err(VIEW, format!("the state has {} bytes, not 4", b.len()))),
            None => {
                (int_arg(VIEW, call.args, 0, -1)?, int_arg(VIEW, call.args, 1, -1)?, int_arg(VIEW, call.args, 2, -1)?)
            }
        };
        check_date(VIEW, y, m, d)?;
        Ok(Some(Date { year: y as u16, month: m as u8, day: d as u8 }))
    }
}

impl fmt::Display for Date {
    /// Python's `str(date)` / `date.isoformat()`: `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A `datetime.datetime`.
///
/// [`Display`](fmt::Display) is Python's `str()` (`isoformat(' ')`) for naive
/// datetimes and fixed-offset timezones; a zone such as
/// `ZoneInfo('Europe/Paris')` has no offset without a time-zone database,
/// so its key is written in brackets instead (`2024-01-02 00:00:00[Europe/Paris]`).
///
/// ```
/// use brinery::pickle::{loads, LoadOptions};
/// use brinery::view::TzInfo;
/// // pickle.dumps(datetime.datetime(2024, 2, 29, 13, 5, 9, 120,
/// //     tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30))), protocol=4)
/// let bytes = b"\x80\x04\x95X\x00\x00\x00\x00\x00\x00\x00\x8c\x08datetime\x94\x8c\x08datetime\x94\x93\x94C\n\x07\xe8\x02\x1d\x0d\x05\x09\x00\x00x\x94h\x00\x8c\x08timezone\x94\x93\x94h\x00\x8c\x09timedelta\x94\x93\x94K\x00MXMK\x00\x87\x94R\x94\x85\x94R\x94\x86\x94R\x94.";
/// let value = loads(bytes, &LoadOptions::default()).unwrap();
/// let dt = value.as_datetime().unwrap().unwrap();
/// assert_eq!((dt.hour, dt.microsecond), (13, 120));
/// assert!(matches!(&dt.tz, Some(TzInfo::Fixed { offset, name: None }) if offset.seconds == 19800));
/// assert_eq!(dt.to_string(), "2024-02-29 13:05:09.000120+05:30");
/// assert_eq!(dt.isoformat(), "2024-02-29T13:05:09.000120+05:30");
/// ```
#[derive(Clone, Debug)]
pub struct DateTime<'v, 'a> {
    /// 1..=9999.
    pub year: u16,
    /// 1..=12.
    pub month: u8,
    /// 1..=31.
    pub day: u8,
    /// 0..=23.
    pub hour: u8,
    /// 0..=59.
    pub minute: u8,
    /// 0..=59.
    pub second: u8,
    /// 0..=999999.
    pub microsecond: u32,
    /// PEP 495's `fold` (only pickled from protocol 4 on).
    pub fold: bool,
    /// The `tzinfo`, if aware.
    pub tz: Option<TzInfo<'v, 'a>>,
}

impl<'v, 'a> DateTime<'v, 'a> {
    /// The datetime, if `v` is a pickled `datetime.datetime`.
    ///
    /// ```
    /// use brinery::view::DateTime;
    /// assert!(DateTime::from_value(&brinery::Value::None).unwrap().is_none());
    /// ```
    pub fn from_value(v: &'v Value<'a>) -> Result<Option<DateTime<'v, 'a>>, ViewError> {
        const VIEW: &str = "datetime.datetime";
        let Some(call) = Call::of(v) else { return Ok(None) };
        if !call.callable.is("datetime", "datetime") {
            return Ok(None);
        }
        let args = call.args;
        let unpack = |b: &[u8]| {
            let us = u32::from(b[7]) << 16 | u32::from(b[8]) << 8 | u32::from(b[9]);
            let f = [
                i64::from(b[0]) << 8 | i64::from(b[1]),
                i64::from(b[2] & 0x7f),
                b[3].into(),
                b[4].into(),
                b[5].into(),
                b[6].into(),
                us.into(),
            ];
            (f, b[2] & 0x80 != 0)
        };
        let (fields, fold, tz_at) = time_fields(VIEW, args, 10, unpack, |i| if i < 3 { -1 } else { 0 })?;
        let [y, mo, d, h, mi, s, us] = fields;
        check_date(VIEW, y, mo, d)?;
        check_time(VIEW, h, mi, s, us)?;
        Ok(Some(DateTime {
            year: y as u16,
            month: mo as u8,
            day: d as u8,
            hour: h as u8,
            minute: mi as u8,
            second: s as u8,
            microsecond: us as u32,
            fold,
            tz: tz_arg(args, tz_at),
        }))
    }

    /// The date part.
    ///
    /// See [`DateTime`] for an example of the fields.
    pub fn date(&self) -> Date {
        Date { year: self.year, month: self.month, day: self.day }
    }

    /// Python's `isoformat()`: like [`Display`](fmt::Display) with a `T` between date and time.
    ///
    /// See [`DateTime`] for an example.
    pub fn isoformat(&self) -> String {
        self.formatted('T')
    }

    fn formatted(&self, sep: char) -> String {
        struct F<'x, 'v, 'a>(&'x DateTime<'v, 'a>, char);
        impl fmt::Display for F<'_, '_, '_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let d = self.0;
                write!(f, "{}{}", d.date(), self.1)?;
                write_time(f, d.hour, d.minute, d.second, d.microsecond)?;
                write_tz(f, &d.tz)
            }
        }
        F(self, sep).to_string()
    }
}

impl fmt::Display for DateTime<'_, '_> {
    /// Python's `str(datetime)`: `YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted(' '))
    }
}

/// A `datetime.time`.
///
/// ```
/// use brinery::pickle::{loads, LoadOptions};
/// // pickle.dumps(datetime.time(23, 59, 1, 500), protocol=4)
/// let bytes = b"\x80\x04\x95\"\x00\x00\x00\x00\x00\x00\x00\x8c\x08datetime\x94\x8c\x04time\x94\x93\x94C\x06\x17;\x01\x00\x01\xf4\x94\x85\x94R\x94.";
/// let value = loads(bytes, &LoadOptions::default()).unwrap();
/// let t = value.as_time().unwrap().unwrap();
/// assert_eq!(t.to_string(), "23:59:01.000500");
/// ```
#[derive(Clone, Debug)]
pub struct Time<'v, 'a> {
    /// 0..=23.
    pub hour: u8,
    /// 0..=59.
    pub minute: u8,
    /// 0..=59.
    pub second: u8,
    /// 0..=999999.
    pub microsecond: u32,
    /// PEP 495's `fold` (only pickled from protocol 4 on).
    pub fold: bool,
    /// The `tzinfo`, if aware.
    pub tz: Option<TzInfo<'v, 'a>>,
}

impl<'v, 'a> Time<'v, 'a> {
    /// The time, if `v` is a pickled `datetime.time`.
    ///
    /// ```
    /// use brinery::view::Time;
    /// assert!(Time::from_value(&brinery::Value::None).unwrap().is_none());
    /// ```
    pub fn from_value(v: &'v Value<'a>) -> Result<Option<Time<'v, 'a>>, ViewError> {
        const VIEW: &str = "datetime.time";
        let Some(call) = Call::of(v) else { return Ok(None) };
        if !call.callable.is("datetime", "time") {
            return Ok(None);
        }
        let args = call.args;
        let unpack = |b: &[u8]| {
            let us = u32::from(b[3]) << 16 | u32::from(b[4]) << 8 | u32::from(b[5]);
            ([i64::from(b[0] & 0x7f), b[1].into(), b[2].into(), us.into()], b[0] & 0x80 != 0)
        };
        let (fields, fold, tz_at) = time_fields(VIEW, args, 6, unpack, |_| 0)?;
        let [h, mi, s, us] = fields;
        check_time(VIEW, h, mi, s, us)?;
        Ok(Some(Time {
            hour: h as u8,
            minute: mi as u8,
            second: s as u8,
            microsecond: us as u32,
            fold,
            tz: tz_arg(args, tz_at),
        }))
    }
}

impl fmt::Display for Time<'_, '_> {
    /// Python's `str(time)` / `isoformat()`: `HH:MM:SS[.ffffff][+HH:MM]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_time(f, self.hour, self.minute, self.second, self.microsecond)?;
        write_tz(f, &self.tz)
    }
}

/// A `datetime.timedelta`, normalized as Python stores it:
/// `0 <= seconds < 86400`, `0 <= microseconds < 1000000`, days carry the sign.
///
/// ```
/// use brinery::pickle::{loads, LoadOptions};
/// // pickle.dumps(datetime.timedelta(days=-1, seconds=5), protocol=4)
/// let bytes = b"\x80\x04\x95'\x00\x00\x00\x00\x00\x00\x00\x8c\x08datetime\x94\x8c\x09timedelta\x94\x93\x94J\xff\xff\xff\xffK\x05K\x00\x87\x94R\x94.";
/// let value = loads(bytes, &LoadOptions::default()).unwrap();
/// let td = value.as_timedelta().unwrap().unwrap();
/// assert_eq!((td.days, td.seconds, td.microseconds), (-1, 5, 0));
/// assert_eq!(td.to_string(), "-1 day, 0:00:05");
/// assert_eq!(td.total_microseconds(), -86_395_000_000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeDelta {
    /// Whole days, -999999999..=999999999.
    pub days: i32,
    /// 0..86400.
    pub seconds: i32,
    /// 0..1000000.
    pub microseconds: i32,
}

impl TimeDelta {
    /// The timedelta, if `v` is a pickled `datetime.timedelta`
    /// (`timedelta(days, seconds, microseconds)`, normalized as Python would).
    ///
    /// ```
    /// use brinery::view::TimeDelta;
    /// assert!(TimeDelta::from_value(&brinery::Value::from(5)).unwrap().is_none());
    /// ```
    pub fn from_value(v: &Value<'_>) -> Result<Option<TimeDelta>, ViewError> {
        const VIEW: &str = "datetime.timedelta";
        let Some(call) = Call::of(v) else { return Ok(None) };
        if !call.callable.is("datetime", "timedelta") {
            return Ok(None);
        }
        if call.args.len() > 3 {
            return Err(err(VIEW, format!("{} arguments is too many", call.args.len())));
        }
        let part = |i: usize| int_arg(VIEW, call.args, i, 0).map(i128::from);
        let total = part(0)? * 86_400_000_000 + part(1)? * 1_000_000 + part(2)?;
        TimeDelta::from_microseconds(total)
            .map(Some)
            .ok_or_else(|| err(VIEW, format!("{total} microseconds is out of timedelta's range")))
    }

    /// Normalizes a number of microseconds; `None` beyond ±999999999 days.
    fn from_microseconds(total: i128) -> Option<TimeDelta> {
        let days = total.div_euclid(86_400_000_000);
        let rest = total.rem_euclid(86_400_000_000);
        if days.abs() > 999_999_999 {
            return None;
        }
        Some(TimeDelta {
            days: days as i32,
            seconds: (rest / 1_000_000) as i32,
            microseconds: (rest % 1_000_000) as i32,
        })
    }

    /// The whole duration in microseconds.
    ///
    /// See [`TimeDelta`] for an example.
    pub fn total_microseconds(&self) -> i64 {
        i64::from(self.days) * 86_400_000_000 + i64::from(self.seconds) * 1_000_000 + i64::from(self.microseconds)
    }
}

impl fmt::Display for TimeDelta {
    /// Python's `str(timedelta)`: `[D day[s], ]H:MM:SS[.ffffff]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.days != 0 {
            let plural = if self.days.abs() == 1 { "" } else { "s" };
            write!(f, "{} day{plural}, ", self.days)?;
        }
        let s = self.seconds;
        write!(f, "{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)?;
        if self.microseconds != 0 {
            write!(f, ".{:06}", self.microseconds)?;
        }
        Ok(())
    }
}

/// A datetime's or time's `tzinfo`.
///
/// ```
/// use brinery::view::{TimeDelta, TzInfo};
/// let utc = TzInfo::Fixed { offset: TimeDelta { days: 0, seconds: 0, microseconds: 0 }, name: None };
/// assert_eq!(utc.to_string(), "UTC");
/// let est = TzInfo::Fixed { offset: TimeDelta { days: -1, seconds: 68400, microseconds: 0 }, name: None };
/// assert_eq!(est.to_string(), "UTC-05:00");
/// ```
#[derive(Clone, Debug)]
pub enum TzInfo<'v, 'a> {
    /// `datetime.timezone(offset[, name])` (`timezone.utc` is `timezone(timedelta(0))`).
    Fixed {
        /// The offset from UTC.
        offset: TimeDelta,
        /// The name, when one was given.
        name: Option<String>,
    },
    /// A named zone: `zoneinfo.ZoneInfo(key)` (pickled as
    /// `getattr(ZoneInfo, '_unpickle')(key, flag)`), or a `pytz` zone.
    Zone(String),
    /// Any other tzinfo object, as pickled.
    Other(&'v Value<'a>),
}

impl<'v, 'a> TzInfo<'v, 'a> {
    /// Recognises `datetime.timezone`, `zoneinfo.ZoneInfo` and `pytz`
    /// zones; anything else is [`TzInfo::Other`].
    ///
    /// ```
    /// use brinery::view::TzInfo;
    /// use brinery::Value;
    /// assert!(matches!(TzInfo::from_value(&Value::from(1)), TzInfo::Other(_)));
    /// ```
    pub fn from_value(v: &'v Value<'a>) -> TzInfo<'v, 'a> {
        if let Some(call) = Call::of(v) {
            if call.callable.is("datetime", "timezone") {
                let offset = call.args.first().and_then(|o| TimeDelta::from_value(o).ok().flatten());
                let name = match call.args.get(1) {
                    None => Some(None),
                    Some(n) => n.as_py_str().map(|s| Some(s.to_string_lossy().into_owned())),
                };
                if let (Some(offset), Some(name), true) = (offset, name, call.args.len() <= 2) {
                    return TzInfo::Fixed { offset, name };
                }
            }
            // pytz: _p(zone, utcoffset, dstoffset, tzname) and _UTC().
            if call.callable.is("pytz", "_p") {
                if let Some(zone) = call.args.first().and_then(text) {
                    return TzInfo::Zone(zone.into_owned());
                }
            }
            if call.callable.is("pytz", "_UTC") {
                return TzInfo::Zone("UTC".to_string());
            }
        }
        if let Some(key) = zoneinfo_key(v) {
            return TzInfo::Zone(key);
        }
        TzInfo::Other(v)
    }
}

/// `getattr(zoneinfo.ZoneInfo, '_unpickle')(key, from_cache)`.
fn zoneinfo_key(v: &Value<'_>) -> Option<String> {
    let Constructor::Reduce { callable, args } = v.as_object()?.constructor() else { return None };
    let inner = Call::of(callable)?;
    let is_unpickle = inner.callable.is("builtins", "getattr")
        && matches!(inner.args, [cls, name] if cls.as_global().is_some_and(|g| g.is("zoneinfo", "ZoneInfo")
            || g.is("backports.zoneinfo", "ZoneInfo")) && name.as_str() == Some("_unpickle"));
    if !is_unpickle {
        return None;
    }
    Some(text(args.as_tuple()?.first()?)?.into_owned())
}

impl fmt::Display for TzInfo<'_, '_> {
    /// Python's `str(tz)` for `timezone` (its name, or `UTC±HH:MM`); the key
    /// for zones; `<tzinfo>` for others.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TzInfo::Fixed { name: Some(name), .. } => f.write_str(name),
            TzInfo::Fixed { offset, name: None } => {
                f.write_str("UTC")?;
                if offset.total_microseconds() != 0 {
                    write_offset(f, offset)?;
                }
                Ok(())
            }
            TzInfo::Zone(key) => f.write_str(key),
            TzInfo::Other(_) => f.write_str("<tzinfo>"),
        }
    }
}
