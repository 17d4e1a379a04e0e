//! The Python literals an `.npy` header is written in (numpy reads it with
//! `ast.literal_eval`): dicts, tuples, lists, str, int, True/False/None.

use crate::{malformed, Result};
use brinery::Value;

/// Parses one literal, such as `{'descr': '<f8', 'fortran_order': False,
/// 'shape': (2, 3), }`; nesting deeper than 64 is refused.
pub(crate) fn parse(text: &str) -> Result<Value<'static>> {
    let mut p = Parser { s: text.as_bytes(), at: 0 };
    let value = p.value(0)?;
    p.skip_space();
    if p.at != p.s.len() {
        return Err(p.error("text after the literal"));
    }
    Ok(value)
}

struct Parser<'t> {
    s: &'t [u8],
    at: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> crate::Error {
        malformed(format!(".npy header: {what} at character {}", self.at))
    }

    fn skip_space(&mut self) {
        while self.s.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        let hit = self.s.get(self.at) == Some(&byte);
        self.at += hit as usize;
        hit
    }

    fn value(&mut self, depth: usize) -> Result<Value<'static>> {
        if depth > 64 {
            return Err(self.error("nesting deeper than 64"));
        }
        self.skip_space();
        match self.s.get(self.at).copied() {
            Some(b'{') => {
                self.at += 1;
                let pairs = self.items(b'}', depth, true)?;
                Ok(Value::dict(pairs.chunks(2).map(|kv| (kv[0].clone(), kv[1].clone()))))
            }
            Some(b'(') => {
                self.at += 1;
                let items = self.items(b')', depth, false)?;
                Ok(Value::tuple(items))
            }
            Some(b'[') => {
                self.at += 1;
                Ok(Value::list(self.items(b']', depth, false)?))
            }
            Some(q @ (b'\'' | b'"')) => self.string(q),
            Some(b'-' | b'0'..=b'9') => self.int(),
            Some(_) => self.word(),
            None => Err(self.error("the header ends where a value was expected")),
        }
    }

    /// Comma-separated values up to `close` (key-value pairs when `pairs`).
    fn items(&mut self, close: u8, depth: usize, pairs: bool) -> Result<Vec<Value<'static>>> {
        let mut out = Vec::new();
        loop {
            if self.eat(close) {
                return Ok(out);
            }
            out.push(self.value(depth + 1)?);
            if pairs {
                if !self.eat(b':') {
                    return Err(self.error("expected ':'"));
                }
                out.push(self.value(depth + 1)?);
            }
            if !self.eat(b',') {
                if self.eat(close) {
                    return Ok(out);
                }
                return Err(self.error("expected ',' or a closing bracket"));
            }
        }
    }

    fn string(&mut self, quote: u8) -> Result<Value<'static>> {
        self.at += 1;
        let start = self.at;
        while let Some(&b) = self.s.get(self.at) {
            if b == b'\\' {
                return Err(self.error("escapes in strings are not used by numpy"));
            }
            if b == quote {
                let text = String::from_utf8_lossy(&self.s[start..self.at]).into_owned();
                self.at += 1;
                return Ok(Value::from(text));
            }
            self.at += 1;
        }
        Err(self.error("unterminated string"))
    }

    fn int(&mut self) -> Result<Value<'static>> {
        let start = self.at;
        self.at += 1;
        while self.s.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        // numpy 1.x wrote Python 2 longs as `3L`.
        let digits = std::str::from_utf8(&self.s[start..self.at]).expect("ASCII");
        if self.s.get(self.at) == Some(&b'L') {
            self.at += 1;
        }
        digits.parse::<i64>().map(Value::from).map_err(|_| self.error("not an int that fits in 64 bits"))
    }

    fn word(&mut self) -> Result<Value<'static>> {
        for (word, value) in [("True", Value::Bool(true)), ("False", Value::Bool(false)), ("None", Value::None)] {
            if self.s[self.at..].starts_with(word.as_bytes()) {
                self.at += word.len();
                return Ok(value);
            }
        }
        Err(self.error("unexpected character"))
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn headers_numpy_writes() {
        let v = parse("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }          ").unwrap();
        assert_eq!(v.to_string(), "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}");
        let v = parse("{'descr': [('x', '<i4'), ('y', '<f8', (2,))], 'fortran_order': True, 'shape': (), }").unwrap();
        assert_eq!(v.get_str("shape").unwrap().to_string(), "()");
        assert_eq!(v.get_str("descr").unwrap().to_string(), "[('x', '<i4'), ('y', '<f8', (2,))]");
        assert_eq!(parse("(5L,)").unwrap().to_string(), "(5,)");
    }

    #[test]
    fn bad_headers_say_where() {
        assert!(parse("{'a': }").unwrap_err().to_string().contains("unexpected character at character 6"));
        assert!(parse("{'a': 1").unwrap_err().to_string().contains("expected ',' or a closing bracket"));
        assert!(parse(&"[".repeat(100)).unwrap_err().to_string().contains("deeper than 64"));
        assert!(parse("99999999999999999999").is_err());
    }
}
