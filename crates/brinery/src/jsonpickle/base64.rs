//! The two byte encodings jsonpickle uses for `bytes`: standard base64
//! (`py/b64`, what brinery writes; the `base64` crate does the work) and
//! Python's `base64.b85encode` alphabet (`py/b85`, jsonpickle's
//! `use_base85` option; read only). The base85 reader is hand-written: it is
//! a dozen lines, and the crates that exist implement other alphabets (Z85,
//! Ascii85) or Python's padding rules differently.

use ::base64::Engine as _;

const B85: &[u8; 85] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";

/// `base64.b64encode(data).decode('ascii')`.
pub(crate) fn encode(data: &[u8]) -> String {
    ::base64::engine::general_purpose::STANDARD.encode(data)
}

/// `base64.b64decode(text)`: characters outside the alphabet are skipped, as
/// Python does by default; the padding must be right.
pub(crate) fn decode(text: &[u8]) -> Result<Vec<u8>, String> {
    let kept: Vec<u8> =
        text.iter().copied().filter(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=')).collect();
    ::base64::engine::general_purpose::STANDARD.decode(kept).map_err(|e| format!("invalid base64: {e}"))
}

/// `base64.b85decode(text)`.
pub(crate) fn decode85(text: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 5 * 4 + 4);
    for chunk in text.chunks(5) {
        let mut n: u64 = 0;
        for i in 0..5 {
            let c = chunk.get(i).copied().unwrap_or(b'~');
            let v = B85.iter().position(|&a| a == c).ok_or_else(|| format!("bad base85 character {:?}", c as char))?;
            n = n * 85 + v as u64;
        }
        if n > u32::MAX as u64 {
            return Err("base85 overflow".into());
        }
        out.extend_from_slice(&(n as u32).to_be_bytes()[..chunk.len() - 1]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_python() {
        for (data, text) in
            [(&b""[..], ""), (b"a", "YQ=="), (b"ab", "YWI="), (b"abc", "YWJj"), (b"\xff\x00\xfe", "/wD+")]
        {
            assert_eq!(encode(data), text);
            assert_eq!(decode(text.as_bytes()).unwrap(), data);
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(encode(&all).as_bytes()).unwrap(), all);
        assert_eq!(decode(b"YW\nJj").unwrap(), b"abc");
        assert!(decode(b"YWI").is_err());
        assert!(decode(b"Y").is_err());
    }

    #[test]
    fn base85_matches_python() {
        // base64.b85encode(b'hello world!') and b85encode(b'abc').
        assert_eq!(decode85(b"Xk~0{Zy<MXa%^NF").unwrap(), b"hello world!");
        assert_eq!(decode85(b"VPaz").unwrap(), b"abc");
        assert!(decode85(b"\"").is_err());
    }
}
